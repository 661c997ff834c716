// A call to a core.wait step's one-time resume URL (POST /resume/:token): settles the token and wakes the step.
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Sql } from '../../db/index.ts';
import { LIVE_RUN, LIVE_RUN_LIST } from '../store/run-status.ts';
import { storedParam } from './stored-json.ts';
import { lockRun } from './transitions.ts';
import { enqueueStep, event, flushWork, newWork } from './tx-work.ts';

export type ResumeResult =
  | { kind: 'resumed'; runId: string }
  /** No such token (never issued, or replaced by a retried step's new one). */
  | { kind: 'unknown' }
  /** Already called, timed out, or its step or run is no longer waiting. */
  | { kind: 'gone' };

const TokenRow = z.object({
  runId: z.string(),
  nodeId: z.string(),
  path: z.string(),
  outcome: z.string().nullable(),
  expired: z.boolean(),
});

/**
 * Settles the token as called with `body` and queues its step, once: the token row is locked, so of two calls at
 * once the second finds it used (and a timeout settling it at the same moment waits for this one, step-task.ts).
 */
export async function resumeWait(sql: Sql, token: string, body: unknown): Promise<ResumeResult> {
  const hash = createHash('sha256').update(token).digest('hex');
  return sql.begin(async (tx): Promise<ResumeResult> => {
    const [row] = await tx`
      select run_id, node_id, path, outcome, coalesce(expires_at <= clock_timestamp(), false) as expired
      from wait_tokens where token_hash = ${hash} for update`;
    if (!row) return { kind: 'unknown' };
    const wait = TokenRow.parse(row);
    if (wait.outcome !== null || wait.expired) return { kind: 'gone' };
    const run = await lockRun(tx, wait.runId);
    const [step] = await tx`
      select status from steps where run_id = ${wait.runId} and node_id = ${wait.nodeId} and path = ${wait.path}`;
    if (!run || !LIVE_RUN.has(run.status) || step?.status !== 'waiting') return { kind: 'gone' };
    await tx`
      update wait_tokens set outcome = 'resumed', used_at = clock_timestamp(), body = ${storedParam(tx, body)}::jsonb
      where token_hash = ${hash}`;
    const work = newWork({ wf: run.workflowId, v: run.version });
    const stepRef = { runId: wait.runId, nodeId: wait.nodeId, path: wait.path };
    event(work, wait.runId, 'wait.resumed', { nodeId: wait.nodeId, path: wait.path });
    enqueueStep(work, stepRef);
    await flushWork(tx, work);
    return { kind: 'resumed', runId: wait.runId };
  });
}

/**
 * A fresh resume token for a waiting core.wait step, replacing the one before (which stops working): how a person
 * who may operate the run gets a URL to hand over, since no token is ever kept in the run record. Undefined when
 * the step is not waiting for a call (never was, already called, timed out, or its run ended).
 */
export async function issueResumeToken(
  sql: Sql,
  step: { runId: string; nodeId: string; path: string },
): Promise<{ token: string; expiresAt: Date | null } | undefined> {
  const token = randomBytes(32).toString('base64url');
  const hash = createHash('sha256').update(token).digest('hex');
  const [row] = await sql`
    update wait_tokens w set token_hash = ${hash}
    from steps s join runs r on r.id = s.run_id
    where w.run_id = ${step.runId} and w.node_id = ${step.nodeId} and w.path = ${step.path}
      and w.outcome is null and (w.expires_at is null or w.expires_at > clock_timestamp())
      and s.run_id = w.run_id and s.node_id = w.node_id and s.path = w.path and s.status = 'waiting'
      and r.status in ${sql(LIVE_RUN_LIST)}
    returning w.expires_at`;
  return row ? { token, expiresAt: (row.expiresAt as Date | null) ?? null } : undefined;
}
