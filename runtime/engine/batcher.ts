type Pending<I, O> = { item: I; resolve: (value: O) => void; reject: (error: unknown) => void };

/**
 * Coalesces calls: while a batch is in flight, new calls queue and go together in the next one (one batch in
 * flight at a time, at most `maxBatch` items). An idle call goes out at once, so batching adds no latency when
 * there is nothing to share. `flush` settles each item of its batch (same order).
 */
export function createBatcher<I, O>(
  flush: (items: I[]) => Promise<PromiseSettledResult<O>[]>,
  maxBatch: number,
): (item: I) => Promise<O> {
  const queue: Pending<I, O>[] = [];
  let busy = false;
  const pump = (): void => {
    if (busy || queue.length === 0) return;
    busy = true;
    const batch = queue.splice(0, maxBatch);
    flush(batch.map((pending) => pending.item))
      .then(
        (results) => {
          for (const [index, pending] of batch.entries()) {
            const result = results[index];
            if (result?.status === 'fulfilled') pending.resolve(result.value);
            else
              pending.reject(
                result ? result.reason : new Error('the batch returned no result for this item'),
              );
          }
        },
        (error: unknown) => {
          for (const pending of batch) pending.reject(error);
        },
      )
      .finally(() => {
        busy = false;
        pump();
      });
  };
  return (item) =>
    new Promise<O>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      pump();
    });
}

/** One batcher per key object (a connection pool), made on first use. */
export function batcherPer<K extends object, I, O>(
  make: (key: K) => (item: I) => Promise<O>,
): (key: K, item: I) => Promise<O> {
  const batchers = new WeakMap<K, (item: I) => Promise<O>>();
  return (key, item) => {
    let batcher = batchers.get(key);
    if (!batcher) {
      batcher = make(key);
      batchers.set(key, batcher);
    }
    return batcher(item);
  };
}
