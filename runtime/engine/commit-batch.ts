import postgres from 'postgres';
import type { Sql, TransactionSql } from '../../db/index.ts';
import { batcherPer, createBatcher } from './batcher.ts';
import { pipelinedTransaction, RecordFailedError } from './pipelined-transaction.ts';
import { flushWork, newWork, RUN_OUTPUT_CAP_MARK, type TxWork } from './tx-work.ts';

/**
 * One job's part of a commit: sends its statements into the transaction and the shared work (events, finished
 * runs, jobs and notifications are written once for all parts). `owned` says whether its fenced step update held.
 */
export type StepCommit<T> = (
  tx: TransactionSql,
  work: TxWork,
) => Promise<{ owned: Promise<boolean>; result: Promise<T> }>;

/** The step a commit records first (its fenced update): what orders the parts of a batch. */
export type StepLock = { runId: string; nodeId: string; path: string };

/**
 * The order step rows are locked in, by batches and by cancelRun alike (so neither waits on the other in a
 * cycle): per run, deepest path first (a foreach item before its foreach), then path and node id (code-unit
 * order; cancelRun sorts with `collate "C"`).
 */
export function compareStepLocks(a: StepLock, b: StepLock): number {
  if (a.runId !== b.runId) return a.runId < b.runId ? -1 : 1;
  if (a.path.length !== b.path.length) return b.path.length - a.path.length;
  if (a.path !== b.path) return a.path < b.path ? -1 : 1;
  if (a.nodeId !== b.nodeId) return a.nodeId < b.nodeId ? -1 : 1;
  return 0;
}

type Part = { step: StepLock; record: StepCommit<unknown> };

/** Most job commits one transaction carries. */
const MAX_BATCH = 32;

/** A batch was rolled back because one of its steps was fenced: each part commits again on its own. */
class FencedPart extends Error {}

const commitBatched = batcherPer((sql: Sql) =>
  createBatcher((batch: Part[]) => commitBatch(sql, batch), MAX_BATCH),
);

/**
 * Commits a step job's result. Commits that become ready while another is in flight share the next transaction
 * (one BEGIN/COMMIT, one WAL flush and one statement each for events, finished runs, new jobs and NOTIFY);
 * an idle commit goes out at once. All-or-nothing per batch: when a part's step was fenced or a statement
 * failed, nothing of the batch committed and every part commits again alone, so each job sees only its own
 * outcome. Resolves with the part's result, 'fenced' when its claim was stale, or 'capped' when the outputs it
 * stores would take a run past its limit (VMESH_RUN_OUTPUT_MAX_BYTES; nothing of it committed).
 */
export function commitStep<T>(
  sql: Sql,
  step: StepLock,
  record: StepCommit<T>,
): Promise<T | 'fenced' | 'capped'> {
  return commitBatched(sql, { step, record: record as StepCommit<unknown> }) as Promise<
    T | 'fenced' | 'capped'
  >;
}

async function commitBatch(sql: Sql, batch: Part[]): Promise<PromiseSettledResult<unknown>[]> {
  if (batch.length > 1) {
    const outcome = await commitTogether(sql, batch).then(
      (values) => ({ values }),
      (error: unknown) => ({ error }),
    );
    if ('values' in outcome) return outcome.values.map((value) => ({ status: 'fulfilled' as const, value }));
    // A connection that broke mid-commit leaves the outcome unknown: the jobs fail and graphile-worker retries
    // them (a re-run finds its step done and resumes what it had started). An error Postgres reported, or one
    // thrown while the statements were built, means the transaction did not commit.
    if (
      !(
        outcome.error instanceof FencedPart ||
        outcome.error instanceof postgres.PostgresError ||
        outcome.error instanceof RecordFailedError
      )
    )
      return batch.map(() => ({ status: 'rejected' as const, reason: outcome.error }));
  }
  return Promise.allSettled(batch.map((part) => commitAlone(sql, part.record)));
}

async function commitTogether(sql: Sql, batch: Part[]): Promise<unknown[]> {
  let owned: Promise<boolean>[] = [];
  // The parts' step rows are locked in one order (compareStepLocks); the values go back in the batch's order.
  const order = batch.map((_, index) => index);
  order.sort((a, b) => compareStepLocks((batch[a] as Part).step, (batch[b] as Part).step));
  const sorted = await pipelinedTransaction(sql, async (tx) => {
    const work = newWork();
    const parts: { owned: Promise<boolean>; result: Promise<unknown> }[] = [];
    for (const index of order) {
      const part = await (batch[index] as Part).record(tx, work);
      part.result.catch(() => {});
      parts.push(part);
    }
    owned = parts.map((part) => part.owned);
    return { flushed: flushWork(tx, work), result: Promise.all(parts.map((part) => part.result)) };
  });
  // A fenced part's failed update aborted the transaction; its COMMIT then only rolled back.
  if (!(await Promise.all(owned)).every(Boolean)) throw new FencedPart('a step in the batch was fenced');
  const values: unknown[] = new Array(batch.length);
  for (const [at, index] of order.entries()) values[index] = sorted[at];
  return values;
}

async function commitAlone<T>(sql: Sql, record: StepCommit<T>): Promise<T | 'fenced' | 'capped'> {
  let work: TxWork | undefined;
  return pipelinedTransaction(sql, async (tx) => {
    work = newWork();
    const { owned, result } = await record(tx, work);
    result.catch(() => {});
    // A stale claim aborts the transaction: its later statements fail with 25P02; report it as fenced.
    const flushed = flushWork(tx, work as TxWork).catch(async (error: unknown) => {
      if (!(await owned)) return;
      throw error;
    });
    return {
      flushed,
      result: owned.then(async (mine) => (mine ? await result : ('fenced' as const))),
    };
  }).catch(async (error: unknown) => {
    if (error instanceof Error && error.message.includes('"fenced:')) return 'fenced' as const;
    if (error instanceof postgres.PostgresError && error.message.includes(RUN_OUTPUT_CAP_MARK))
      return 'capped' as const;
    // A read `record` waited for failed only because the fenced update before it had aborted the transaction.
    const fence = work?.fence;
    if (error instanceof RecordFailedError && fence && !(await fence.catch(() => true)))
      return 'fenced' as const;
    throw error;
  });
}
