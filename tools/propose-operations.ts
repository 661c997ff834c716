import { z } from 'zod';
import { AppError, err, ok } from '../lib/index.ts';
import { defineTool } from './define-tool.ts';
import { ChangeProposalOutput, proposeNewVersion } from './propose-change.ts';
import { workflowById } from './workflow-by-id.ts';

const WorkflowId = z
  .string()
  .min(1)
  .max(100)
  .describe('The workflow id from list_workflows, e.g. "wf_3kT9…".');

const OperationProposalOutput = z.object({
  proposalId: z.string(),
  status: z.literal('pending'),
  note: z.string(),
});

export const rollbackWorkflowTool = defineTool({
  name: 'rollback_workflow',
  effect: 'write',
  description:
    'Propose going back to an earlier version of a workflow ("undo yesterday\'s change"): that version\'s document becomes a new version, shown to the person with the diff from the current one and dry-run; nothing changes until they approve. Default: the version before the current one.',
  input: z.object({
    workflowId: WorkflowId,
    toVersion: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('The version to go back to (get_workflow shows the current one); default current − 1.'),
    summary: z.string().min(1).max(2_000).describe('Why, in plain words, e.g. "Back to v3: v4 posts twice".'),
  }),
  output: ChangeProposalOutput,
  async run(input, ctx) {
    const current = await workflowById(input.workflowId, ctx);
    if (!current.ok) return current;
    const target = input.toVersion ?? current.value.currentVersion - 1;
    if (target < 1 || target >= current.value.currentVersion) {
      return err(
        new AppError({
          code: 'E_PARAMS',
          message: `Workflow "${current.value.name}" is at version ${current.value.currentVersion}: there is no earlier version ${target}.`,
          hint: `Give toVersion between 1 and ${current.value.currentVersion - 1}.`,
        }),
      );
    }
    const document = await ctx.workflows.version(current.value.id, target);
    if (!document) {
      return err(
        new AppError({
          code: 'E_NOT_FOUND',
          message: `Workflow "${current.value.name}" has no version ${target}.`,
          hint: 'Call get_workflow for its current version.',
        }),
      );
    }
    return proposeNewVersion(
      current.value,
      document,
      { summary: input.summary, details: { rollback: { from: current.value.currentVersion, to: target } } },
      ctx,
    );
  },
});

export const resumeWorkflowTool = defineTool({
  name: 'resume_workflow',
  effect: 'write',
  description:
    'Propose resuming a paused (inactive) workflow: its trigger starts runs again once the person approves. Use it for "turn the standup workflow back on".',
  input: z.object({ workflowId: WorkflowId }),
  output: OperationProposalOutput,
  async run(input, ctx) {
    const workflow = await workflowById(input.workflowId, ctx);
    if (!workflow.ok) return workflow;
    if (workflow.value.active) {
      return err(
        new AppError({
          code: 'E_CONFLICT',
          message: `Workflow "${workflow.value.name}" is already active.`,
          hint: 'Nothing to resume; pause_workflow pauses it.',
        }),
      );
    }
    const created = await ctx.proposals.create({
      kind: 'activate',
      summary: `Resume workflow "${workflow.value.name}": its ${workflow.value.triggerType} trigger starts runs again (version ${workflow.value.currentVersion}).`,
      document: null,
      workflowId: workflow.value.id,
      runId: null,
      baseVersion: workflow.value.currentVersion,
      details: {},
    });
    return ok({
      proposalId: created.id,
      status: 'pending' as const,
      note: 'Shown to the person for approval. The workflow stays paused until they approve.',
    });
  },
});

export const deleteWorkflowTool = defineTool({
  name: 'delete_workflow',
  effect: 'write',
  description:
    'Propose deleting a workflow: once the person confirms by approving, it stops and leaves the lists; its runs keep their records. Use pause_workflow instead when they only want it to stop for now.',
  input: z.object({ workflowId: WorkflowId }),
  output: OperationProposalOutput,
  async run(input, ctx) {
    const workflow = await workflowById(input.workflowId, ctx);
    if (!workflow.ok) return workflow;
    const created = await ctx.proposals.create({
      kind: 'delete',
      summary: `Delete workflow "${workflow.value.name}" (${workflow.value.id}, ${workflow.value.active ? 'active' : 'paused'}): it stops for good; its runs keep their records.`,
      document: null,
      workflowId: workflow.value.id,
      runId: null,
      baseVersion: workflow.value.currentVersion,
      details: {},
    });
    return ok({
      proposalId: created.id,
      status: 'pending' as const,
      note: 'Shown to the person to confirm. Nothing is deleted until they approve.',
    });
  },
});
