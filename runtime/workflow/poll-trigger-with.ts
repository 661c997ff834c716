import { z } from 'zod';

/** The largest `trigger.with.backfill` (one poll never starts more runs than this). */
export const MAX_BACKFILL = 100;

/**
 * `trigger.with.backfill` of every poll trigger, owned by the runtime (no connector declares it): how many of the
 * newest items the first poll after activation starts runs for. Default 0: the first poll only records.
 */
export const PollBackfill = z
  .number()
  .int()
  .min(0)
  .max(MAX_BACKFILL)
  .optional()
  .describe(
    `poll triggers: runs for the newest N items already there when the workflow is activated (0-${MAX_BACKFILL}, default 0: only items that arrive later start runs)`,
  );

/**
 * The schema the catalog shows and the validator checks for a poll trigger's `trigger.with`: the connector's
 * filters plus `backfill`. A connector whose `with` is not an object schema is left as it is.
 */
export function withBackfill(filters: z.ZodType): z.ZodType {
  return filters instanceof z.ZodObject ? filters.extend({ backfill: PollBackfill }) : filters;
}

/** Takes `backfill` out of a poll trigger's `trigger.with`: the rest is what the connector's `with` parses. */
export function splitPollWith(value: unknown): { backfill: number; filters: unknown } {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { backfill: 0, filters: value ?? {} };
  const { backfill, ...filters } = value as Record<string, unknown>;
  const parsed = PollBackfill.safeParse(backfill);
  return { backfill: parsed.success ? (parsed.data ?? 0) : 0, filters };
}
