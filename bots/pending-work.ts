/** Work a bot does after acknowledging its platform; `idle()` lets shutdown (and tests) wait for it to finish. */
export function createPendingWork(onError: (error: unknown) => void) {
  const pending = new Set<Promise<void>>();
  return {
    run(work: () => Promise<void>): void {
      const promise = work()
        .catch(onError)
        .finally(() => pending.delete(promise));
      pending.add(promise);
    },
    async idle(): Promise<void> {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
