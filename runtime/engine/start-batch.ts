import type { Sql } from '../../db/index.ts';
import { newId } from '../store/ids.ts';
import type { CachedWorkflow } from '../store/workflow-cache.ts';
import { graphForPath, startNodes } from './graph.ts';
import { STEP_TASK } from './transitions.ts';

/** Most runs one statement inserts (the coalesced NOTIFY payload stays far below Postgres' 8,000 bytes). */
const MAX_BATCH = 100;
/**
 * Statements per batch key in flight at once; further starts wait and join the next statement. One measured best on
 * 2 cores (bigger batches; 2 in flight gave ~35% fewer webhook requests/s).
 */
const MAX_IN_FLIGHT = 1;

type Waiter = {
  runId: string;
  input: unknown;
  resolve: (ok: boolean) => void;
  reject: (error: unknown) => void;
};
type Lane = {
  cached: CachedWorkflow;
  triggerType: string;
  requireActive: boolean;
  queue: Waiter[];
  inFlight: number;
};

const lanes = new WeakMap<Sql, Map<string, Lane>>();

/**
 * Inserts a run (row, start steps, their jobs, run.created, NOTIFY) guarded by the cached workflow row: undefined
 * when the row no longer has the cached version (or is inactive with `requireActive`). Concurrent starts of the same
 * workflow version share one statement and so one commit (one WAL flush and one NOTIFY, the serialised part of
 * a commit): each caller still resolves only after its run committed. An idle start goes out at once.
 */
export function insertRunBatched(
  sql: Sql,
  cached: CachedWorkflow,
  input: unknown,
  options: { triggerType: string; requireActive: boolean },
): Promise<string | undefined> {
  let byKey = lanes.get(sql);
  if (!byKey) {
    byKey = new Map();
    lanes.set(sql, byKey);
  }
  const key = `${cached.row.id}\u0000${cached.row.currentVersion}\u0000${options.triggerType}\u0000${options.requireActive}`;
  let lane = byKey.get(key);
  if (!lane) {
    lane = { cached, ...options, queue: [], inFlight: 0 };
    byKey.set(key, lane);
  }
  // Same workflow and version (the key): any cached copy has the same start nodes.
  lane.cached = cached;
  const runId = newId('run');
  const target = lane;
  const done = new Promise<boolean>((resolve, reject) => {
    target.queue.push({ runId, input, resolve, reject });
  });
  pump(sql, byKey, key, target);
  return done.then((ok) => (ok ? runId : undefined));
}

function pump(sql: Sql, byKey: Map<string, Lane>, key: string, lane: Lane): void {
  while (lane.inFlight < MAX_IN_FLIGHT && lane.queue.length > 0) {
    const batch = lane.queue.splice(0, MAX_BATCH);
    lane.inFlight += 1;
    insertRuns(sql, lane, batch)
      .then(
        (ok) => {
          for (const waiter of batch) waiter.resolve(ok);
        },
        (error: unknown) => {
          for (const waiter of batch) waiter.reject(error);
        },
      )
      .finally(() => {
        lane.inFlight -= 1;
        if (lane.queue.length > 0) pump(sql, byKey, key, lane);
        else if (lane.inFlight === 0 && byKey.get(key) === lane) byKey.delete(key);
      });
  }
}

/** One statement for the whole batch: all runs are created, or none when the workflow row changed. */
async function insertRuns(sql: Sql, lane: Lane, batch: Waiter[]): Promise<boolean> {
  const { row, document } = lane.cached;
  const starts = startNodes(graphForPath(document, '')).map((node) => node.id);
  const { triggerType, requireActive } = lane;
  const runs = batch.map((waiter) => ({ id: waiter.runId, trigger: waiter.input ?? {} }));
  const [result] = await sql`
    with wf as (
      select id from workflows
      where id = ${row.id} and deleted_at is null and current_version = ${row.currentVersion}
        and (active or not ${requireActive}::boolean)
    ), created as (
      insert into runs (id, workflow_id, version, status, trigger_type, trigger)
      select x.id, wf.id, ${row.currentVersion}, 'queued', ${triggerType}, x.trigger
      from wf, jsonb_to_recordset(${sql.json(runs as never)}::jsonb) as x(id text, trigger jsonb)
      returning id
    ), steps as (
      insert into steps (run_id, node_id, path, status)
      select created.id, s, '', 'queued' from created, unnest(${starts}::text[]) as s
    ), logged as (
      insert into run_events (run_id, type, payload)
      select created.id, 'run.created', ${sql.json({ workflowId: row.id, version: row.currentVersion, triggerType })}
      from created
    )
    select
      (select count(*) from created)::int as created,
      -- No job keys: the run is new, so no job can exist to replace (see insertReady).
      (select count(*) from graphile_worker.add_jobs(array(
        select row(${STEP_TASK}::text,
          json_build_object('runId', created.id, 'nodeId', s, 'path', '', 'wf', ${row.id}::text, 'v', ${row.currentVersion}::int),
          null, now(), 25, null, null, null)::graphile_worker.job_spec
        from created, unnest(${starts}::text[]) as s))) as jobs,
      (select pg_notify('vmesh_runs', string_agg(id, ',')) from created having count(*) > 0) as notified`;
  return Number(result?.created ?? 0) === batch.length;
}
