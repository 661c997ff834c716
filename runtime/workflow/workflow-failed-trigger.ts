import { z } from 'zod';

/** The core trigger that runs a workflow when a run of another workflow fails for good (an error handler). */
export const WORKFLOW_FAILED_TRIGGER = 'workflow.failed';

/**
 * `trigger.with` of workflow.failed: `workflows`, the ids of the failed workflows that start a run, written out
 * (an id is matched, never computed); none or empty: any workflow the handler's owner may read.
 */
export const WorkflowFailedWith = z.strictObject({
  workflows: z
    .array(
      z
        .string()
        .regex(/^[A-Za-z0-9_.:-]{1,200}$/, 'a workflow id written out (e.g. "wf_…"), not an expression'),
    )
    .max(200)
    .optional(),
});
