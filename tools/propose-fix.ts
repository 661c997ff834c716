import fastJsonPatch from 'fast-json-patch';
import { z } from 'zod';
import { AppError, err, ok } from '../lib/index.ts';
import { checkDocument } from './check-document.ts';
import { defineTool } from './define-tool.ts';
import { DocumentArgument } from './document-argument.ts';
import { dryRunWorkflow } from './dry-run.ts';
import { failureFingerprint } from './failure-fingerprint.ts';
import { describeEffects, describeSubworkflowSteps } from './proposal-effects.ts';
import { ProposalOutput } from './propose-workflow.ts';

export const proposeFixTool = defineTool({
  name: 'propose_fix',
  effect: 'write',
  description:
    "Propose a fix for a failed run. With `document`: a corrected whole document becomes a new version when the person approves, and they choose to resume the failed run from the failed step or rerun it. Without `document`: a plain retry of the run (for temporary failures). The fix is validated and dry-run on the failed run's trigger data; nothing changes until the person approves.",
  input: z.object({
    runId: z.string().min(1).max(100),
    document: DocumentArgument.optional(),
    summary: z
      .string()
      .min(1)
      .max(2_000)
      .describe('What failed, why, and what the fix changes — plain words.'),
  }),
  output: ProposalOutput.extend({ diff: z.array(z.unknown()) }),
  async run(input, ctx) {
    if (!ctx.runs)
      return err(new AppError({ code: 'E_UNAVAILABLE', message: 'Runs are not available here.' }));
    const run = await ctx.runs.get(input.runId);
    if (!run)
      return err(
        new AppError({
          code: 'E_NOT_FOUND',
          message: `No run with id "${input.runId}".`,
          hint: 'Check the run id.',
        }),
      );
    const workflow = await ctx.workflows.get(run.workflowId);
    if (!workflow)
      return err(
        new AppError({ code: 'E_NOT_FOUND', message: `The run's workflow "${run.workflowId}" is gone.` }),
      );
    let document = null;
    let details: Record<string, unknown> = {
      fingerprint: failureFingerprint(run),
      retryOnly: true,
      diff: [],
    };
    if (input.document !== undefined) {
      const check = await checkDocument(input.document, ctx);
      if (!check.valid || !check.document) {
        return err(
          new AppError({
            code: 'E_INVALID_DOCUMENT',
            message: 'The fixed document is not valid.',
            hint: 'Fix every error in details.errors, then propose again.',
            details: { errors: check.errors },
          }),
        );
      }
      document = check.document;
      const dryRun = await dryRunWorkflow(document, run.trigger ?? {}, ctx);
      details = {
        fingerprint: failureFingerprint(run),
        retryOnly: false,
        diff: fastJsonPatch.compare(workflow.document as object, document as object),
        missingCredentials: check.missingCredentials,
        warnings: check.warnings,
        effects: {
          ...describeEffects(document, workflow.document, ctx.catalog),
          subworkflowSteps: await describeSubworkflowSteps(document, ctx.workflows, {
            workflowId: workflow.id,
          }),
        },
        dryRun: {
          ok: dryRun.ok,
          steps: dryRun.steps.map((s) => ({ id: s.id, status: s.status, error: s.error })),
        },
      };
    }
    const created = await ctx.proposals.create({
      kind: 'fix',
      summary: input.summary,
      document,
      workflowId: workflow.id,
      runId: run.id,
      baseVersion: workflow.currentVersion,
      details,
    });
    return ok({
      proposalId: created.id,
      status: 'pending' as const,
      missingCredentials: (details.missingCredentials as never) ?? [],
      warnings: (details.warnings as never) ?? [],
      diff: details.diff as unknown[],
      note: 'Shown to the person. On approval the fix becomes a new version and the run resumes or reruns, as they choose.',
    });
  },
});
