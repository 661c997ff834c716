import type { Sql, TransactionSql } from '../../db/index.ts';

/**
 * `record` threw in our code (say, a value it could not serialise) after sending some statements: they were
 * rolled back for sure, so the caller may try again without the failing part. `cause` is what it threw.
 */
export class RecordFailedError extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

/**
 * Runs `record` in a transaction whose statements, BEGIN and COMMIT are all pipelined on one reserved
 * connection: one network round trip unless `record` itself waits for a read. Any failing statement aborts the
 * transaction (COMMIT then rolls back) and is rethrown. Values must be serialised by `record` itself (see
 * stored-json.ts): a statement the driver fails to build is never sent, and COMMIT would commit the others. When
 * `record` throws, ROLLBACK is sent instead of COMMIT and it rejects with RecordFailedError.
 */
export async function pipelinedTransaction<T>(
  sql: Sql,
  record: (tx: TransactionSql) => Promise<{ flushed: Promise<void>; result: Promise<T> }>,
): Promise<T> {
  const connection = await sql.reserve();
  let abandoned = false;
  try {
    const tx = connection as unknown as TransactionSql;
    const begin = Promise.resolve(tx`begin`);
    begin.catch(() => {});
    let recorded: { flushed: Promise<void>; result: Promise<T> };
    try {
      recorded = await record(tx);
    } catch (error) {
      await Promise.allSettled([begin, tx`rollback`]);
      throw new RecordFailedError(error);
    }
    const commit = Promise.resolve(tx`commit`);
    const settled = Promise.allSettled([begin, recorded.flushed, commit, recorded.result]);
    const deadline = wait(COMMIT_TIMEOUT_MS);
    const first = await Promise.race([
      settled.then((outcomes) => ({ outcomes })),
      firstRejection([begin, recorded.flushed, recorded.result]).catch((error: unknown) => ({ error })),
      deadline.then(() => ({ timeout: true as const })),
    ]).finally(deadline.cancel);
    if ('timeout' in first) {
      abandoned = true;
      throw new Error(`The database did not answer COMMIT within ${COMMIT_TIMEOUT_MS} ms.`);
    }
    if ('error' in first) {
      // The transaction failed. A live connection answers its COMMIT (a rollback) at once, and must not go back
      // to the pool before that: statements it still holds would otherwise never be sent. After a lost
      // connection no answer comes (statements written to a dead socket are never answered): do not wait for
      // good — every step commit queued behind this one would wait too — and leave the connection to the driver.
      const grace = wait(ROLLBACK_GRACE_MS);
      abandoned = !(await Promise.race([settled.then(() => true), grace.then(() => false)]).finally(
        grace.cancel,
      ));
      throw first.error;
    }
    const [began, flushed, committed, result] = first.outcomes;
    for (const outcome of [began, flushed, committed, result])
      if (outcome.status === 'rejected') throw outcome.reason;
    return (result as PromiseFulfilledResult<T>).value;
  } finally {
    if (!abandoned) connection.release();
  }
}

/** Longest wait for a transaction's COMMIT (its outcome is then unknown; the job fails and is retried). */
const COMMIT_TIMEOUT_MS = 30_000;
/** Longest wait for the rollback of a transaction whose statement failed. */
const ROLLBACK_GRACE_MS = 2_000;

/** A timer as a promise, with `cancel` to clear it early (it then never resolves). */
function wait(ms: number): Promise<void> & { cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Object.assign(promise, { cancel: () => clearTimeout(timer) });
}

/** Rejects with the first rejection among `promises`; never resolves. */
function firstRejection(promises: Promise<unknown>[]): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    for (const promise of promises) promise.catch(reject);
  });
}
