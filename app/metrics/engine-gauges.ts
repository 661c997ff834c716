import { Gauge, type Registry } from 'prom-client';
import type { Sql } from '../../db/index.ts';
import { stalledPollTriggers } from '../../runtime/index.ts';

/** Read from the database at each scrape: the job queue, poll triggers, active workflows. */
export function registerEngineGauges(registry: Registry, sql: Sql): void {
  new Gauge({
    name: 'vmesh_queue_jobs',
    help: 'Jobs waiting in the engine queue (due now or later), by task.',
    labelNames: ['task'],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await sql`
        select t.identifier as task, count(*)::int as jobs
        from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
        where j.locked_at is null group by t.identifier`;
      for (const row of rows) this.set({ task: String(row.task) }, Number(row.jobs));
    },
  });
  new Gauge({
    name: 'vmesh_queue_oldest_job_age_seconds',
    help: 'How long the oldest job that is due has waited for a worker (0 when none waits).',
    registers: [registry],
    async collect() {
      const [row] = await sql`
        select coalesce(extract(epoch from now() - min(run_at)), 0)::float8 as age
        from graphile_worker._private_jobs where locked_at is null and run_at <= now() and attempts < max_attempts`;
      this.set(Math.max(0, Number(row?.age ?? 0)));
    },
  });
  new Gauge({
    name: 'vmesh_poll_trigger_lag_seconds',
    help: "Seconds since each active poll trigger's last successful poll (since it started, before the first).",
    labelNames: ['workflow', 'trigger'],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await sql`
        select workflow_id, trigger_type,
          extract(epoch from now() - coalesce(last_success_at, created_at))::float8 as lag
        from poll_states`;
      for (const row of rows)
        this.set({ workflow: String(row.workflowId), trigger: String(row.triggerType) }, Number(row.lag));
    },
  });
  new Gauge({
    name: 'vmesh_poll_triggers_stalled',
    help: 'Active poll triggers that reported a stall and have not recovered.',
    registers: [registry],
    async collect() {
      this.set((await stalledPollTriggers(sql)).length);
    },
  });
  new Gauge({
    name: 'vmesh_workflows_active',
    help: 'Workflows whose trigger is on.',
    registers: [registry],
    async collect() {
      const [row] =
        await sql`select count(*)::int as active from workflows where active and deleted_at is null`;
      this.set(Number(row?.active ?? 0));
    },
  });
}
