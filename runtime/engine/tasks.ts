// The graphile-worker tasks the engine adds jobs for, and the step job's payload (parsed: a queued job may be
// older than the code).
import { z } from 'zod';

export const STEP_TASK = 'vmesh_step';
/**
 * Enqueued (job key `run_failed:<runId>`) in the transaction that fails a run for good: self-healing handles it
 * in the app's worker (agent/run-failed-task.ts), at once, and graphile-worker retries it if handling fails.
 */
export const RUN_FAILED_TASK = 'vmesh_run_failed';
/**
 * Enqueued in the same failing transaction (job key `workflow_failed:<runId>:<retries>`) unless the run itself
 * was started by a workflow.failed trigger: starts the error-handling workflows (runtime/triggers/workflow-failed.ts).
 */
export const WORKFLOW_FAILED_TASK = 'vmesh_workflow_failed';
export const StepJobPayload = z.object({
  runId: z.string().min(1),
  nodeId: z.string().min(1),
  path: z.string(),
  /** Hints (checked against the run row): which workflow version the run uses, so the step's inputs load in the claim. */
  wf: z.string().nullish(),
  v: z.number().int().nullish(),
  /** How often this job was put back because its run held its share of the worker's slots (run-slots.ts). */
  deferred: z.number().int().min(0).optional(),
});
export type StepJobPayload = z.infer<typeof StepJobPayload>;
