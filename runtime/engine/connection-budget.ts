// Rate budgets per connection: one token bucket per (connector, credential) in Postgres (connection_budgets), so
// every workflow and worker that calls a vendor with the same credential shares it. A connector's declared
// `rateLimit` sets the bucket; a 429 (Retry-After, rate-limit headers) blocks the credential until the vendor's
// time. A step that finds no token does not wait in its job slot: it goes back to the queue until one is due.
import { z } from 'zod';
import type { RateLimit } from '../../connectors/index.ts';
import type { Sql } from '../../db/index.ts';

export type BudgetKey = { connectorId: string; credential: string };

/** `granted`: call now. Otherwise the earliest time (ms from now) a token may be there. */
export type TakeResult = { granted: true } | { granted: false; waitMs: number };

/** Longest a 429 blocks a credential, whatever the vendor's header says (a wrong clock or header cannot stop it for good). */
export const MAX_BLOCK_MS = 15 * 60_000;
/** How long a 429 without Retry-After or rate-limit headers blocks the credential. */
export const DEFAULT_BLOCK_MS = 1_000;

/** The bucket of a declared limit: refill per second and capacity (burst, default the per-window requests). */
export function bucketOf(limit: RateLimit): { capacity: number; rate: number } {
  const rate = limit.requests / limit.perSeconds;
  if (!(Number.isFinite(rate) && rate > 0)) {
    throw new Error(
      `A connector's rateLimit needs requests > 0 and perSeconds > 0 (got ${limit.requests}/${limit.perSeconds}).`,
    );
  }
  return { capacity: Math.max(1, limit.burst ?? limit.requests), rate };
}

const WaitRow = z.object({ waitMs: z.number() });

/**
 * Takes one token for a call with `key`. With a declared limit, one statement refills the bucket by the time since
 * its last change and takes the token only when one is there and no 429 blocks the credential (the row lock of
 * the update orders concurrent takers; nothing is held across the vendor call). Without one, only a block applies.
 * A taker that finds none is told when to come back: when the next token is due, or one token interval after the
 * previous waiter (`wake_at`), so waiters return one at a time in the order they came.
 */
export async function takeToken(sql: Sql, key: BudgetKey, limit: RateLimit | undefined): Promise<TakeResult> {
  if (!limit) {
    const [row] = await sql`
      select (extract(epoch from blocked_until - clock_timestamp()) * 1000)::float8 as wait_ms
      from connection_budgets
      where connector_id = ${key.connectorId} and credential = ${key.credential}
        and blocked_until > clock_timestamp()`;
    const blocked = WaitRow.optional().parse(row);
    return blocked ? { granted: false, waitMs: Math.ceil(blocked.waitMs) } : { granted: true };
  }
  const { capacity, rate } = bucketOf(limit);
  for (let tries = 0; tries < 3; tries++) {
    const taken = await sql`
      update connection_budgets set
        tokens = least(${capacity}::float8,
          tokens + greatest(0, extract(epoch from clock_timestamp() - updated_at))::float8 * ${rate}::float8) - 1,
        capacity = ${capacity}::float8, refill_per_second = ${rate}::float8, updated_at = clock_timestamp()
      where connector_id = ${key.connectorId} and credential = ${key.credential}
        and (blocked_until is null or blocked_until <= clock_timestamp())
        and least(${capacity}::float8,
          tokens + greatest(0, extract(epoch from clock_timestamp() - updated_at))::float8 * ${rate}::float8) >= 1
      returning 1`;
    if (taken.length > 0) return { granted: true };
    const [row] = await sql`
      update connection_budgets set wake_at = greatest(
          wake_at + ${1 / rate}::float8 * interval '1 second',
          blocked_until,
          clock_timestamp() + greatest(0, 1 - least(${capacity}::float8,
            tokens + greatest(0, extract(epoch from clock_timestamp() - updated_at))::float8 * ${rate}::float8))
            / ${rate}::float8 * interval '1 second')
      where connector_id = ${key.connectorId} and credential = ${key.credential}
      returning (extract(epoch from wake_at - clock_timestamp()) * 1000)::float8 as wait_ms`;
    if (!row) {
      const inserted = await sql`
        insert into connection_budgets (connector_id, credential, tokens, capacity, refill_per_second)
        values (${key.connectorId}, ${key.credential}, ${capacity - 1}::float8, ${capacity}::float8, ${rate}::float8)
        on conflict do nothing returning 1`;
      if (inserted.length > 0) return { granted: true };
      continue;
    }
    const { waitMs } = WaitRow.parse(row);
    // A token came (or a block ended) between the two statements: try the take again.
    if (waitMs <= 0) continue;
    return { granted: false, waitMs: Math.ceil(waitMs) };
  }
  return { granted: false, waitMs: Math.ceil(1000 / rate) };
}

/**
 * The vendor answered 429: no call on this credential before `waitMs` from now (capped by MAX_BLOCK_MS). The bucket
 * then holds one token, so exactly one call goes first after the block and the rest follow at the declared rate.
 * A later block never shortens an earlier one.
 */
export async function blockBudget(
  sql: Sql,
  key: BudgetKey,
  waitMs: number,
  limit: RateLimit | undefined,
): Promise<void> {
  const ms = Math.min(MAX_BLOCK_MS, Math.max(0, waitMs));
  const bucket = limit ? bucketOf(limit) : undefined;
  await sql`
    insert into connection_budgets as b
      (connector_id, credential, tokens, capacity, refill_per_second, blocked_until, updated_at)
    values (${key.connectorId}, ${key.credential}, 1, ${bucket?.capacity ?? null}::float8,
      ${bucket?.rate ?? null}::float8, clock_timestamp() + ${ms} * interval '1 millisecond',
      clock_timestamp() + ${ms} * interval '1 millisecond')
    on conflict (connector_id, credential) do update set
      tokens = least(b.tokens, 1),
      blocked_until = greatest(b.blocked_until, excluded.blocked_until),
      updated_at = greatest(b.updated_at, excluded.updated_at)`;
}
