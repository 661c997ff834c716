import type { Counter } from 'prom-client';

export type Total = { labels: Record<string, string>; total: number };

/**
 * A counter fed from totals kept outside this process (a table every process adds to, Postgres statistics): the
 * first read only notes them, each later one adds what grew since, so the counter starts at zero with this process
 * as Prometheus expects. A total that shrank (statistics reset) counts from zero again. Concurrent calls share one
 * read, so nothing is added twice.
 */
export function feedCounterFromTotals(
  counter: Counter<string>,
  read: () => Promise<Total[]>,
): { catchUp(): Promise<void> } {
  let seen: Map<string, number> | undefined;
  let running: Promise<void> | undefined;
  const keyOf = (labels: Record<string, string>) => JSON.stringify(Object.entries(labels).sort());

  async function catchUp(): Promise<void> {
    const totals = await read();
    const first = seen === undefined;
    seen ??= new Map();
    for (const row of totals) {
      const key = keyOf(row.labels);
      const before = first ? row.total : (seen.get(key) ?? 0);
      // Adding 0 shows the series at 0 from the first scrape on.
      counter.inc(row.labels, row.total >= before ? row.total - before : row.total);
      seen.set(key, row.total);
    }
  }

  return {
    catchUp() {
      running ??= catchUp().finally(() => {
        running = undefined;
      });
      return running;
    },
  };
}
