import { z } from 'zod';
import { AppError, err, ok } from '../lib/index.ts';
import { checkDocument, IssueOutput, MissingCredentialOutput } from './check-document.ts';
import { defineTool } from './define-tool.ts';
import { DocumentArgument } from './document-argument.ts';
import { dryRunOnTrigger } from './dry-run.ts';
import { describeEffects, describeSubworkflowSteps } from './proposal-effects.ts';

export const ProposalOutput = z.object({
  proposalId: z.string(),
  status: z.literal('pending'),
  missingCredentials: z.array(MissingCredentialOutput),
  warnings: z.array(IssueOutput),
  note: z.string(),
});

export const proposeWorkflowTool = defineTool({
  name: 'propose_workflow',
  effect: 'write',
  description:
    'Propose a NEW workflow to the person. The document is validated and dry-run, then shown to the person with your summary; nothing is saved or activated until they approve. Call it only with a document draft_workflow reported valid. After it, tell the person briefly what it does and what they must provide (missing credentials), then stop.',
  input: z.object({
    document: DocumentArgument,
    summary: z
      .string()
      .min(1)
      .max(2_000)
      .describe('What the workflow does, in plain words for the person approving it.'),
  }),
  output: ProposalOutput,
  async run(input, ctx) {
    const check = await checkDocument(input.document, ctx);
    if (!check.valid || !check.document) {
      return err(
        new AppError({
          code: 'E_INVALID_DOCUMENT',
          message: 'The document is not valid; only valid documents can be proposed.',
          hint: 'Fix every error (see details.errors) with draft_workflow, then propose again.',
          details: { errors: check.errors },
        }),
      );
    }
    const dryRun = await dryRunOnTrigger(check.document, ctx);
    const created = await ctx.proposals.create({
      kind: 'new',
      summary: input.summary,
      document: check.document,
      workflowId: null,
      runId: null,
      baseVersion: null,
      details: {
        missingCredentials: check.missingCredentials,
        warnings: check.warnings,
        effects: {
          ...describeEffects(check.document, null, ctx.catalog),
          subworkflowSteps: await describeSubworkflowSteps(check.document, ctx.workflows, {
            ownerId: ctx.conversation.userId,
            ownerRef: ctx.conversation.actor,
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
      note: 'Shown to the person for approval. Nothing is active until they approve.',
    });
  },
});
