import { AppError, err, ok, type Result } from '../lib/index.ts';
import type { RunView, ToolContext } from './tool-context.ts';
import { markUntrusted, shrink } from './untrusted.ts';

/** Loads a run for a tool; absent engine or run → an error the model can read. */
export async function loadRun(runId: string, ctx: ToolContext): Promise<Result<RunView, AppError>> {
  if (!ctx.runs) {
    return err(
      new AppError({
        code: 'E_UNAVAILABLE',
        message: 'Run history is not available here.',
        hint: 'Tell the person.',
      }),
    );
  }
  const run = await ctx.runs.get(runId);
  if (!run)
    return err(
      new AppError({ code: 'E_NOT_FOUND', message: `No run with id "${runId}".`, hint: 'Check the run id.' }),
    );
  return ok(run);
}

/** A run as the model sees it: trigger data and step inputs/outputs are marked untrusted and redacted. */
export function presentRun(run: RunView): Record<string, unknown> {
  return {
    id: run.id,
    workflowId: run.workflowId,
    version: run.version,
    status: run.status,
    createdAt: run.createdAt,
    error: run.error === null || run.error === undefined ? null : markUntrusted(shrink(run.error)),
    trigger: markUntrusted(shrink(run.trigger)),
    steps: run.steps.map((step) => ({
      nodeId: step.nodeId,
      path: step.path,
      status: step.status,
      attempt: step.attempt,
      input: markUntrusted(shrink(step.input)),
      output: markUntrusted(shrink(step.output)),
      error: step.error === null || step.error === undefined ? null : markUntrusted(shrink(step.error)),
    })),
  };
}
