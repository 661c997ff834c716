import type { Sql } from '../../db/index.ts';

type Listeners = { ready: Promise<unknown>; byRun: Map<string, Set<() => void>> };
const perClient = new WeakMap<Sql, Listeners>();

/**
 * Calls `wake` whenever a transaction touching `runId` commits (NOTIFY vmesh_runs). One LISTEN per client,
 * shared by every waiter, instead of a LISTEN/UNLISTEN pair per request. Resolves once listening.
 */
export async function onRunChange(sql: Sql, runId: string, wake: () => void): Promise<() => void> {
  let listeners = perClient.get(sql);
  if (!listeners) {
    const byRun = new Map<string, Set<() => void>>();
    const ready = sql.listen('vmesh_runs', (payload) => {
      for (const id of payload.split(',')) for (const fn of byRun.get(id) ?? []) fn();
    });
    listeners = { ready, byRun };
    perClient.set(sql, listeners);
  }
  const set = listeners.byRun.get(runId) ?? new Set();
  set.add(wake);
  listeners.byRun.set(runId, set);
  await listeners.ready;
  const { byRun } = listeners;
  return () => {
    set.delete(wake);
    if (set.size === 0) byRun.delete(runId);
  };
}
