import { Counter, Histogram, type Registry } from 'prom-client';
import type { Sql } from '../../db/index.ts';
import { createRunEventCursor } from '../run-event-cursor.ts';

/** Events read per query, and queries per scrape: a backlog larger than this is counted over several scrapes. */
const EVENTS_PER_QUERY = 5_000;
const QUERIES_PER_SCRAPE = 20;

const STEP_SECONDS_BUCKETS = [0.005, 0.025, 0.1, 0.25, 1, 2.5, 10, 30, 120, 600, 3600];

type EventRow = {
  seq: string;
  type: string;
  workflowId: string;
  uses: string | null;
  seconds: number | null;
};

/**
 * Run and step counts from the engine's run events, read after the last one counted at each scrape: every worker
 * process's runs are counted, whichever process serves /metrics, and the engine's hot path does nothing for it.
 * A new process starts at the newest event (counters start at zero, as Prometheus expects after a restart).
 */
export function registerRunEventMetrics(registry: Registry, sql: Sql): { catchUp(): Promise<void> } {
  const started = new Counter({
    name: 'vmesh_runs_started_total',
    help: 'Runs created, by workflow.',
    labelNames: ['workflow'],
    registers: [registry],
  });
  const finished = new Counter({
    name: 'vmesh_runs_finished_total',
    help: 'Runs that ended, by workflow and status (succeeded, failed, cancelled; a retried run ends again).',
    labelNames: ['workflow', 'status'],
    registers: [registry],
  });
  const steps = new Histogram({
    name: 'vmesh_step_duration_seconds',
    help: "Step durations from start to end, by node type (the node's `uses`) and status.",
    labelNames: ['node_type', 'status'],
    buckets: STEP_SECONDS_BUCKETS,
    registers: [registry],
  });
  async function readBatch(from: bigint, batchSize: number): Promise<EventRow[]> {
    return (await sql`
      select e.seq::text as seq, e.type, r.workflow_id,
        case when e.type like 'step.%' then jsonb_path_query_first(v.document, '$.**.nodes[*] ? (@.id == $id).uses',
          jsonb_build_object('id', e.payload->>'nodeId')) #>> '{}' end as uses,
        -- Pure steps run in memory right after the claimed one took ~0 s (their times may even cross).
        case when s.run_id is not null then greatest(0, extract(epoch from
          coalesce(s.finished_at, e.at) - coalesce(s.started_at, s.finished_at, e.at)))::float8 end as seconds
      from run_events e
      join runs r on r.id = e.run_id
      left join workflow_versions v on e.type like 'step.%' and v.workflow_id = r.workflow_id and v.version = r.version
      left join steps s on e.type like 'step.%' and s.run_id = e.run_id and s.node_id = e.payload->>'nodeId'
        and s.path = coalesce(e.payload->>'path', '')
      where e.seq > ${from.toString()}::bigint
        and e.type in ('run.created', 'run.succeeded', 'run.failed', 'run.cancelled', 'step.succeeded', 'step.failed')
      order by e.seq
      limit ${batchSize}`) as unknown as EventRow[];
  }

  function count(row: EventRow): void {
    if (row.type === 'run.created') started.inc({ workflow: row.workflowId });
    else if (row.type.startsWith('run.'))
      finished.inc({ workflow: row.workflowId, status: row.type.slice('run.'.length) });
    else if (row.seconds !== null)
      steps.observe(
        { node_type: row.uses ?? 'unknown', status: row.type.slice('step.'.length) },
        row.seconds,
      );
  }

  return createRunEventCursor({
    sql,
    read: readBatch,
    handle: count,
    batchSize: EVENTS_PER_QUERY,
    maxBatches: QUERIES_PER_SCRAPE,
  });
}
