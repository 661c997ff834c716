/**
 * Remembers delivery ids (Slack `event_id`, Discord interaction ids) for a while, so a platform's redelivery of
 * the same event never starts a second agent turn. Bounded: the oldest ids are forgotten first.
 * Per process: Slack retries are also refused by their X-Slack-Retry-Num header, which needs no memory.
 */
export function createDeliveryDeduper(options: { maxEntries?: number; ttlMs?: number } = {}) {
  const maxEntries = options.maxEntries ?? 10_000;
  const ttlMs = options.ttlMs ?? 60 * 60 * 1000;
  const seen = new Map<string, number>();
  return {
    /** True the first time an id is seen (within the TTL), false for every repeat. */
    firstDelivery(id: string, now = Date.now()): boolean {
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
