/** Answers "is this the first time this delivery id arrives?" for a platform's event or interaction ids. */
export type DeliveryLedger = {
  /** True the first time an id is seen (within the ledger's memory), false for every repeat. */
  firstDelivery(id: string): Promise<boolean>;
};

/**
 * Remembers delivery ids (Slack `event_id`, Discord interaction ids) in this process for a while: the fallback
 * when a front-end runs without the database (tests, a bot on its own). Bounded: the oldest ids go first.
 * The app uses createDeliveryLedger (Postgres), which also holds across restarts and server processes.
 */
export function createMemoryDeliveryLedger(
  options: { maxEntries?: number; ttlMs?: number } = {},
): DeliveryLedger {
  const maxEntries = options.maxEntries ?? 10_000;
  const ttlMs = options.ttlMs ?? 60 * 60 * 1000;
  const seen = new Map<string, number>();
  return {
    async firstDelivery(id: string): Promise<boolean> {
      const now = Date.now();
      const at = seen.get(id);
      if (at !== undefined && now - at < ttlMs) return false;
      seen.delete(id);
      seen.set(id, now);
      while (seen.size > maxEntries) {
        const oldest = seen.keys().next().value;
        if (oldest === undefined) break;
        seen.delete(oldest);
      }
      return true;
    },
  };
}
