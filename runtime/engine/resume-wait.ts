// A call to a core.wait step's one-time resume URL (POST /resume/:token): settles the token and wakes the step.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Sql } from '../../db/index.ts';
import { LIVE_RUN } from '../store/run-status.ts';
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
