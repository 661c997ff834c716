import type { ActionContext } from './define.ts';

export type WriteOnceSteps<T> = {
  /** Looks for what an earlier attempt of this step wrote (by a marker carrying `ctx.idempotencyKey`). */
  find: () => Promise<T | undefined>;
  /** Writes, leaving the marker `find` looks for. */
  write: () => Promise<T>;
};

/**
 * The way to make a write retry-safe on a target without idempotency keys: mark what you write with
 * `ctx.idempotencyKey`, and on attempts after the first look for that mark before writing again. An attempt
 * may have written and then lost its answer, so a retry that finds the mark returns what it found. A failed
 * look is logged and the write goes ahead: a rare duplicate beats a step that cannot be retried.
 * Written as an action's run, `run: (input, ctx) => writeOnce(ctx, { find, write })`, T is the action's output,
 * so both answers are checked against the output schema.
 */
export async function writeOnce<T>(
  ctx: Pick<ActionContext<unknown, unknown>, 'attempt' | 'logger' | 'node'>,
  steps: WriteOnceSteps<NoInfer<T>>,
): Promise<T> {
  if (ctx.attempt > 1) {
    try {
      const earlier = await steps.find();
      if (earlier !== undefined) return earlier;
    } catch (error) {
      ctx.logger.warn(
        { err: error, node: ctx.node.id, runId: ctx.node.runId, attempt: ctx.attempt },
        'could not look for an earlier attempt’s write; writing again',
      );
    }
  }
  return steps.write();
}
