import { Counter, Gauge, type Registry } from 'prom-client';
import type { Sql } from '../../db/index.ts';
import { feedCounterFromTotals } from './durable-totals.ts';

/** pg_stat_activity's states as label values (`idle in transaction (aborted)` → `idle_in_transaction_aborted`). */
const stateLabel = (state: string) => state.replace(/[()]/g, '').trim().replace(/\s+/g, '_');

const SHOWN_STATES = ['active', 'idle', 'idle_in_transaction', 'idle_in_transaction_aborted'];

/**
 * Postgres as this application uses it, read at each scrape: the connections of every vmesh process by state
 * (the app's pools are `vmesh`, graphile-worker's `vmesh-worker`), this process's pool size, and idle transactions.
 */
export function registerDatabaseMetrics(registry: Registry, sql: Sql): { catchUp(): Promise<void> } {
  new Gauge({
    name: 'vmesh_db_connections',
    help: "Open connections of every vmesh process to this database (pg_stat_activity), by application_name (vmesh: the app's pools, vmesh-worker: the job runner's) and state (active, idle, idle_in_transaction…).",
    labelNames: ['application', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const state of SHOWN_STATES) this.set({ application: 'vmesh', state }, 0);
      const rows = await sql`
        select application_name, coalesce(state, 'unknown') as state, count(*)::int as connections
        from pg_stat_activity
        where datname = current_database() and backend_type = 'client backend' and application_name like 'vmesh%'
        group by 1, 2`;
      for (const row of rows)
        this.set(
          { application: String(row.applicationName), state: stateLabel(String(row.state)) },
          Number(row.connections),
        );
    },
  });
  new Gauge({
    name: 'vmesh_db_pool_max_connections',
    help: 'The most connections this process\'s database pool opens (VMESH_DB_POOL_SIZE); compare with vmesh_db_connections{application="vmesh"} divided by the number of processes.',
    registers: [registry],
    collect() {
      this.set(sql.options.max);
    },
  });
  new Gauge({
    name: 'vmesh_db_oldest_idle_in_transaction_seconds',
    help: 'How long the oldest vmesh connection has sat idle inside an open transaction (0 when none does). Such a connection holds its locks and stops vacuum; alert when it stays above a few seconds, e.g. > 30 for 5m.',
    registers: [registry],
    async collect() {
      const [row] = await sql`
        select coalesce(max(extract(epoch from now() - state_change)), 0)::float8 as age
        from pg_stat_activity
        where datname = current_database() and application_name like 'vmesh%'
          and state in ('idle in transaction', 'idle in transaction (aborted)')`;
      this.set(Math.max(0, Number(row?.age ?? 0)));
    },
  });
  const idleSeconds = new Counter({
    name: 'vmesh_db_idle_in_transaction_seconds_total',
    help: "Seconds that sessions of this database spent idle inside a transaction (pg_stat_database.idle_in_transaction_time, every client of the database; a session's time is added when its idle spell ends). Its rate() is the average number of connections idling in a transaction: the idle transaction rate; alert when rate(…[5m]) > 0.5.",
    registers: [registry],
  });
  return feedCounterFromTotals(idleSeconds, async () => {
    const [row] = await sql`
      select coalesce(idle_in_transaction_time, 0)::float8 / 1000 as seconds
      from pg_stat_database where datname = current_database()`;
    return [{ labels: {}, total: Number(row?.seconds ?? 0) }];
  });
}
