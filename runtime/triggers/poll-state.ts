import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { json, type Sql, type TransactionSql } from '../../db/index.ts';
import type { PollCursor } from './poll-cursor.ts';

// The poll_states row of a workflow (db/migrations/6200_poll_states.sql): where its poll trigger has got to.

const Mark = (at: number | null, id: string | null) => (at === null || id === null ? undefined : { at, id });

const PollStateRow = z
  .object({
    workflowId: z.string(),
    epoch: z.string(),
    triggerType: z.string(),
    version: z.number().int(),
    primedAt: z.date().nullable(),
    watermarkAt: z.number().nullable(),
    watermarkId: z.string().nullable(),
    floorAt: z.number().nullable(),
    floorId: z.string().nullable(),
    seen: z.array(z.object({ id: z.string(), at: z.number() })),
    connectorState: z.unknown(),
    lastPollAt: z.date().nullable(),
    lastSuccessAt: z.date().nullable(),
    consecutiveFailures: z.number().int(),
    lastErrorCode: z.string().nullable(),
    lastError: z.string().nullable(),
    nextPollAt: z.date().nullable(),
    stalledAt: z.date().nullable(),
    createdAt: z.date(),
  })
  .transform((row) => ({
    ...row,
    cursor: {
      watermark: Mark(row.watermarkAt, row.watermarkId),
      floor: Mark(row.floorAt, row.floorId),
      seen: row.seen,
    } satisfies PollCursor,
  }));
export type PollState = z.output<typeof PollStateRow>;

/** What the API shows of a workflow's poll trigger (GET /api/workflows/:id `poll`). */
export type PollStatus = {
  triggerType: string;
  primed: boolean;
  watermark: { at: number; id: string } | null;
  lastPollAt: string | null;
  lastSuccessAt: string | null;
  nextPollAt: string | null;
  consecutiveFailures: number;
  lastError: { code: string; message: string } | null;
  stalled: boolean;
  stalledAt: string | null;
};

export async function readPollState(
  sql: Sql | TransactionSql,
  workflowId: string,
  options: { lock?: boolean } = {},
): Promise<PollState | undefined> {
  const rows = options.lock
    ? await sql`select * from poll_states where workflow_id = ${workflowId} for update`
    : await sql`select * from poll_states where workflow_id = ${workflowId}`;
  return rows[0] ? PollStateRow.parse(rows[0]) : undefined;
}

/**
 * The row of an active poll-triggered workflow: created on activation, kept by new versions of the same trigger,
 * started over (a new epoch, nothing seen) when a version changes the trigger type.
 */
export async function ensurePollState(
  sql: Sql | TransactionSql,
  workflowId: string,
  triggerType: string,
): Promise<void> {
  await sql`
    insert into poll_states (workflow_id, epoch, trigger_type) values (${workflowId}, ${`poll_${randomBytes(9).toString('base64url')}`}, ${triggerType})
    on conflict (workflow_id) do update set epoch = excluded.epoch, trigger_type = excluded.trigger_type,
      version = 0, primed_at = null, watermark_at = null, watermark_id = null, floor_at = null, floor_id = null,
      seen = '[]'::jsonb, connector_state = null, last_success_at = null, consecutive_failures = 0,
      last_error_code = null, last_error = null, stalled_at = null, created_at = now(), updated_at = now()
    where poll_states.trigger_type <> excluded.trigger_type`;
}

export async function deletePollState(sql: Sql | TransactionSql, workflowId: string): Promise<void> {
  await sql`delete from poll_states where workflow_id = ${workflowId}`;
}

/** Whether the row locked in `tx` is still the one a poll read before it fetched (no other poll committed since). */
export function isSameState(locked: PollState | undefined, read: PollState): locked is PollState {
  return locked !== undefined && locked.epoch === read.epoch && locked.version === read.version;
}

export async function commitPollSuccess(
  tx: TransactionSql,
  read: PollState,
  update: { cursor: PollCursor; connectorState: unknown; nextPollAt: Date },
): Promise<void> {
  const { watermark, floor, seen } = update.cursor;
  await tx`
    update poll_states set version = version + 1, primed_at = coalesce(primed_at, now()),
      watermark_at = ${watermark?.at ?? null}, watermark_id = ${watermark?.id ?? null},
      floor_at = ${floor?.at ?? null}, floor_id = ${floor?.id ?? null}, seen = ${json(tx, seen)},
      connector_state = ${update.connectorState === undefined ? null : json(tx, update.connectorState)},
      last_poll_at = now(), last_success_at = now(), consecutive_failures = 0, last_error_code = null,
      last_error = null, next_poll_at = ${update.nextPollAt}, stalled_at = null, updated_at = now()
    where workflow_id = ${read.workflowId}`;
}

export async function commitPollFailure(
  tx: TransactionSql,
  read: PollState,
  update: { error: { code: string; message: string }; nextPollAt: Date; stalled: boolean },
): Promise<void> {
  await tx`
    update poll_states set version = version + 1, last_poll_at = now(),
      consecutive_failures = consecutive_failures + 1, last_error_code = ${update.error.code},
      last_error = ${update.error.message}, next_poll_at = ${update.nextPollAt},
      stalled_at = case when ${update.stalled} then coalesce(stalled_at, now()) else stalled_at end,
      updated_at = now()
    where workflow_id = ${read.workflowId}`;
}

export async function getPollStatus(sql: Sql, workflowId: string): Promise<PollStatus | undefined> {
  const state = await readPollState(sql, workflowId);
  if (!state) return undefined;
  const iso = (date: Date | null) => date?.toISOString() ?? null;
  return {
    triggerType: state.triggerType,
    primed: state.primedAt !== null,
    watermark: state.cursor.watermark ?? null,
    lastPollAt: iso(state.lastPollAt),
    lastSuccessAt: iso(state.lastSuccessAt),
    nextPollAt: iso(state.nextPollAt),
    consecutiveFailures: state.consecutiveFailures,
    lastError:
      state.lastErrorCode && state.lastError ? { code: state.lastErrorCode, message: state.lastError } : null,
    stalled: state.stalledAt !== null,
    stalledAt: iso(state.stalledAt),
  };
}
