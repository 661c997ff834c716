import { z } from 'zod';
import { AppError, err, ok } from '../lib/index.ts';
import { checkDocument, IssueOutput } from './check-document.ts';
import { defineTool } from './define-tool.ts';
import { DocumentArgument } from './document-argument.ts';
import { dryRunOnTrigger } from './dry-run.ts';

export const DryRunStepOutput = z.object({
  id: z.string(),
  uses: z.string(),
  status: z.enum(['ran', 'simulated', 'would-wait', 'skipped', 'failed']),
  input: z.unknown().optional(),
  output: z.unknown().optional(),
  branch: z.string().optional(),
  error: z.string().optional(),
  warnings: z.array(z.string()).optional(),
});

/** Which trigger start the dry run simulated. */
export const DryRunTriggerOutput = z.object({
  type: z.string(),
  simulated: z.string(),
  verification: z.string().optional(),
});

export const testWorkflowTool = defineTool({
  name: 'test_workflow',
  effect: 'read',
  description:
    'Dry-run a valid document on a simulated start of its trigger: a webhook delivery shaped like its verify scheme\'s sender ({ method, headers, query, body }, the signature check skipped and reported), a connector trigger\'s sample, a failed run for workflow.failed, the next slot for schedule. Pure core nodes (if, switch, transform, merge, foreach, respond) run for real, every expression is evaluated, actions that reach the outside world are NOT called and return outputs simulated from their output schemas. Reports which trigger start it simulated and what each step would do. Pass triggerData to use your own data, shaped like the real trigger (e.g. a webhook body under "body").',
  input: z.object({
    document: DocumentArgument,
    triggerData: z
      .unknown()
      .optional()
      .describe("What `trigger` holds in expressions; default: a simulated start of the document's trigger."),
  }),
  output: z.object({
    ok: z.boolean(),
    trigger: DryRunTriggerOutput,
    steps: z.array(DryRunStepOutput),
    output: z.unknown(),
  }),
  async run(input, ctx) {
    const check = await checkDocument(input.document, ctx);
    if (!check.valid || !check.document) {
      return err(
        new AppError({
          code: 'E_INVALID_DOCUMENT',
          message: 'The document is not valid, so it cannot be dry-run.',
          hint: 'Fix the errors (see details.errors) with draft_workflow first.',
          details: { errors: z.array(IssueOutput).parse(check.errors) },
        }),
      );
    }
    const report = await dryRunOnTrigger(
      check.document,
      ctx,
      input.triggerData === undefined ? undefined : { data: input.triggerData },
    );
    return ok(report);
  },
});
