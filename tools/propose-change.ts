import fastJsonPatch from 'fast-json-patch';
import { z } from 'zod';
import { AppError, describeError, err, ok, type Result } from '../lib/index.ts';
import { checkDocument } from './check-document.ts';
import { defineTool } from './define-tool.ts';
import { dryRunOnTrigger } from './dry-run.ts';
import { describeEffects, describeSubworkflowSteps } from './proposal-effects.ts';
import { ProposalOutput } from './propose-workflow.ts';
import type { ToolContext, WorkflowDetail } from './tool-context.ts';
import { workflowById } from './workflow-by-id.ts';

const { applyPatch, compare, validate: validatePatch } = fastJsonPatch;

export const PatchOperation = z.discriminatedUnion('op', [
  z.object({ op: z.literal('add'), path: z.string(), value: z.unknown() }),
  z.object({ op: z.literal('replace'), path: z.string(), value: z.unknown() }),
  z.object({ op: z.literal('test'), path: z.string(), value: z.unknown() }),
  z.object({ op: z.literal('remove'), path: z.string() }),
  z.object({ op: z.literal('move'), from: z.string(), path: z.string() }),
  z.object({ op: z.literal('copy'), from: z.string(), path: z.string() }),
]);
export type PatchOperation = z.infer<typeof PatchOperation>;

export const ChangeProposalOutput = ProposalOutput.extend({ diff: z.array(z.unknown()) });

/**
 * Proposes `document` as the next version of `current`: validated, diffed against the current version, dry-run and
 * shown with its effects; nothing changes until a person approves. `details` are stored with the proposal.
 */
export async function proposeNewVersion(
  current: WorkflowDetail,
  document: unknown,
  proposal: { summary: string; details: Record<string, unknown> },
  ctx: ToolContext,
): Promise<Result<z.input<typeof ChangeProposalOutput>, AppError>> {
  const check = await checkDocument(document, ctx);
  if (!check.valid || !check.document) {
    return err(
      new AppError({
        code: 'E_INVALID_DOCUMENT',
        message: 'The changed document is not valid.',
        hint: 'Change it so every error in details.errors goes away, then propose again.',
        details: { errors: check.errors },
      }),
    );
  }
  const diff = compare(current.document as object, check.document as object);
  const dryRun = await dryRunOnTrigger(check.document, ctx);
  const created = await ctx.proposals.create({
    kind: 'change',
    summary: proposal.summary,
    document: check.document,
    workflowId: current.id,
    runId: null,
    baseVersion: current.currentVersion,
    details: {
      ...proposal.details,
      diff,
      missingCredentials: check.missingCredentials,
      warnings: check.warnings,
      effects: {
        ...describeEffects(check.document, current.document, ctx.catalog),
        subworkflowSteps: await describeSubworkflowSteps(check.document, ctx.workflows, {
          workflowId: current.id,
        }),
      },
      dryRun: {
        ok: dryRun.ok,
        trigger: dryRun.trigger,
        steps: dryRun.steps.map((s) => ({ id: s.id, status: s.status, error: s.error })),
      },
    },
  });
  return ok({
    proposalId: created.id,
    status: 'pending' as const,
    missingCredentials: check.missingCredentials,
    warnings: check.warnings,
    diff,
    note: 'Shown to the person for approval with the diff. Nothing changes until they approve.',
  });
}

export const proposeChangeTool = defineTool({
  name: 'propose_change',
  effect: 'write',
  description:
    'Propose a change to an existing workflow as an RFC 6902 JSON Patch against its current version (get_workflow first; paths are JSON Pointers such as /nodes/1/with/channel). Small edits stay small: never resend the whole document. The patched document is validated and dry-run, then shown to the person with a diff; nothing changes until they approve.',
  input: z.object({
    workflowId: z.string().min(1).max(100),
    patch: z.array(PatchOperation).min(1).max(200).describe('RFC 6902 operations, applied in order.'),
    summary: z.string().min(1).max(2_000).describe('What changes and why, in plain words.'),
  }),
  output: ChangeProposalOutput,
  async run(input, ctx) {
    const found = await workflowById(input.workflowId, ctx);
    if (!found.ok) return found;
    const current = found.value;
    const base = structuredClone(current.document) as unknown as Record<string, unknown>;
    const patchError = validatePatch(input.patch, base);
    if (patchError) {
      return err(
        new AppError({
          code: 'E_PATCH',
          message: `The patch does not apply to version ${current.currentVersion}: ${patchError.message} (operation ${patchError.index ?? '?'}).`,
          hint: 'Call get_workflow, check the JSON Pointer paths against the current document, and send a corrected patch.',
        }),
      );
    }
    let patched: unknown;
    try {
      patched = applyPatch(base, input.patch, false, false).newDocument;
    } catch (error) {
      return err(
        new AppError({
          code: 'E_PATCH',
          message: `The patch failed: ${describeError(error)}`,
          hint: 'Check the paths against the current document (get_workflow).',
        }),
      );
    }
    return proposeNewVersion(
      current,
      patched,
      { summary: input.summary, details: { patch: input.patch } },
      ctx,
    );
  },
});
