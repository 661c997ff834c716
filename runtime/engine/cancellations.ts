import type { Sql } from '../../db/index.ts';
import { AppError, logger } from '../../lib/index.ts';

/** cancelRun notifies this channel (on commit) with the run id. */
export const CANCEL_CHANNEL = 'vmesh_cancel';

export type RunCancellations = {
  /** A signal that aborts when the run is cancelled while `done` has not been called. */
  track(runId: string): { signal: AbortSignal; done(): void };
  stop(): Promise<void>;
};

/**
 * Lets a worker stop the steps it is running for a run that gets cancelled: their actions see the abort through
 * `ctx.signal` (an HTTP request is cut off, for one). What such a step then reports is discarded anyway — the
 * cancellation already marked the step cancelled, so its commit is fenced out.
 */
export async function listenForCancellations(sql: Sql): Promise<RunCancellations> {
  const running = new Map<string, Set<AbortController>>();
  const listener = await sql.listen(CANCEL_CHANNEL, (runId) => {
    const controllers = running.get(runId);
    if (!controllers) return;
    logger.info({ runId, steps: controllers.size }, 'run cancelled: aborting its running steps');
    for (const controller of controllers) {
      controller.abort(
        new AppError({
          code: 'E_CANCELLED',
          message: `Run ${runId} was cancelled while this step ran.`,
          hint: 'Nothing to do: the step is recorded as cancelled.',
        }),
      );
    }
  });
  return {
    track(runId) {
      const controller = new AbortController();
      let controllers = running.get(runId);
      if (!controllers) {
        controllers = new Set();
        running.set(runId, controllers);
      }
      controllers.add(controller);
      const owner = controllers;
      return {
        signal: controller.signal,
        done() {
          owner.delete(controller);
          if (owner.size === 0 && running.get(runId) === owner) running.delete(runId);
        },
      };
    },
    stop: () => listener.unlisten(),
  };
}
