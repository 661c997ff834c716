import { Counter, type Registry } from 'prom-client';
import type { Sql } from '../../db/index.ts';
import { createRunEventCursor } from '../run-event-cursor.ts';

const EVENTS_PER_QUERY = 5_000;
const QUERIES_PER_SCRAPE = 20;

type CpuRow = { workflowId: string; cpuMs: number };

/**
 * CPU time of core.code in the sandbox processes, by workflow (the label vmesh_runs_started_total has: one series per
 * workflow that runs code, not per run or step). Read from the usage each step attempt's run event carries, so every
 * attempt counts once, whichever worker ran it (a process killed at its deadline: from /proc, on Linux).
 */
export function registerSandboxMetrics(registry: Registry, sql: Sql): { catchUp(): Promise<void> } {
  const cpu = new Counter({
    name: 'vmesh_sandbox_cpu_seconds_total',
    help: 'CPU time (user + system) the core.code sandbox processes spent on steps, by workflow.',
    labelNames: ['workflow'],
    registers: [registry],
  });
  return createRunEventCursor<CpuRow>({
    sql,
    read: async (after, upTo) =>
      (await sql`
        select r.workflow_id, (e.payload#>>'{usage,sandboxCpuMs}')::float8 as cpu_ms
        from run_events e join runs r on r.id = e.run_id
        where e.seq > ${after.toString()}::bigint and e.seq <= ${upTo.toString()}::bigint and e.type in ('step.succeeded', 'step.failed', 'step.retrying')
          and e.payload->'usage' ? 'sandboxCpuMs'`) as unknown as CpuRow[],
    handle: (row) => {
      if (row.cpuMs > 0) cpu.inc({ workflow: row.workflowId }, row.cpuMs / 1_000);
    },
    batchSize: EVENTS_PER_QUERY,
    maxBatches: QUERIES_PER_SCRAPE,
  });
}
