import { randomUUID } from 'node:crypto';
import type { Sql } from '../db/index.ts';
import { AppError } from '../lib/index.ts';

/** A turn longer than this loses its lease (another turn may then start). */
export const TURN_LEASE_MS = 15 * 60_000;
/** How long a message waits for the turn before it gives up. */
export const TURN_WAIT_MS = 15 * 60_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `work` while holding the conversation's turn lease: turns in one conversation run one at a time, others
 * wait (polling with backoff). No connection is held while waiting or while the model thinks, so many busy
 * conversations cannot exhaust the pool.
 */
export async function withTurnLease<T>(sql: Sql, conversationId: string, work: () => Promise<T>): Promise<T> {
  const token = randomUUID();
  const started = Date.now();
  for (let delay = 25; ; delay = Math.min(delay * 2, 500)) {
    const taken = await sql`
      update conversations set turn_token = ${token}, turn_expires_at = now() + ${TURN_LEASE_MS} * interval '1 millisecond'
      where id = ${conversationId} and (turn_token is null or turn_expires_at < now())
      returning id`;
    if (taken.length > 0) break;
    if (Date.now() - started > TURN_WAIT_MS) {
      throw new AppError({
        code: 'E_BUSY',
        message: 'The assistant is still busy with an earlier message in this conversation.',
        hint: 'Wait for its answer, then send the message again.',
      });
    }
    await sleep(delay);
  }
  try {
    return await work();
  } finally {
    await sql`update conversations set turn_token = null, turn_expires_at = null where id = ${conversationId} and turn_token = ${token}`;
  }
}
