// Claiming a step job's step (or, for claimless nodes, only reading it) together with what its node can read.
import { z } from 'zod';
import { json, type Sql } from '../../db/index.ts';
import { LIVE_RUN_LIST, LIVE_STEP_LIST } from '../store/run-status.ts';
import { batcherPer, createBatcher } from './batcher.ts';
import { RunRow, StepRow } from './run-context.ts';
import { stepKey } from './scope-path.ts';

export type Claim = {
  nodeId: string;
  path: string;
  fence: number;
  attempt: number;
  previous: string;
  state: unknown;
  wakeAt: Date | null;
  /** Read without claiming: the commit takes the step from `queued` (see the claimless core nodes below). */
  unclaimed?: { jobKey: string } | undefined;
};

/*
 * Claimless core nodes (`claimless: true` in runtime/nodes, CLAIMLESS_CORE_NODES): their queued step is only read
 * before it runs, not claimed in a transaction of its own. They run in microseconds with no effect outside the
 * transaction that records them (JSONata is time-boxed), so the commit's compare-and-set on the step's fence and
 * `queued` status is the claim. Losing that race rolls back; running such a step twice cannot be seen.
 * (core.code stays claimed: it may run for its whole CPU budget, shown as running.)
 */

/** The run row as RunRow parses it, from a `runs` row aliased `r`; claims and reads must return the same shape. */
const RUN_JSON = `json_build_object('id', r.id, 'workflowId', r.workflow_id, 'version', r.version,
  'status', r.status, 'trigger', r.trigger, 'parentRunId', r.parent_run_id, 'parentNodeId', r.parent_node_id,
  'parentPath', r.parent_path, 'response', r.response, 'traceparent', r.traceparent,
  'traceParentId', r.trace_parent_id)`;

// Schemas live at module level: zod compiles each object schema on its first parse, so an inline schema in a
// per-job path would be compiled again for every job.
const StepRows = z.array(StepRow);
export const StepRef = z.object({ nodeId: z.string(), path: z.string() });

const ClaimJson = z.object({
  previous: z.string(),
  fence: z.coerce.number(),
  attempt: z.number(),
  state: z.unknown(),
  wakeAt: z.string().nullable(),
});

export type StepContext = { run: RunRow | undefined; claim: Claim | undefined; steps: Map<string, StepRow> };

/**
 * One round trip: claims the step (bumping its fence) if its run is live, marks a queued run running, and
 * returns the run row with the steps the node can read (when the version hint lets us know them up front).
 */
export async function claimWithContext(
  sql: Sql,
  step: { runId: string; nodeId: string; path: string },
  jobKey: string,
  visible: { nodeIds: string[]; paths: string[] },
): Promise<StepContext> {
  const { runId, nodeId, path } = step;
  const [row] = await sql`
    with live as (
      select id, workflow_id, version, status, trigger, parent_run_id, parent_node_id, parent_path, response,
        traceparent, trace_parent_id
      from runs where id = ${runId} and status in ${sql(LIVE_RUN_LIST)}
    ), current as (
      select s.status from steps s where s.run_id = ${runId} and s.node_id = ${nodeId} and s.path = ${path}
        and exists (select 1 from live) for update
    ), claimed as (
      update steps s set
        fence = s.fence + 1,
        status = case when current.status = 'waiting' then 'waiting' else 'running' end,
        attempt = case when current.status = 'waiting' then s.attempt else s.attempt + 1 end,
        started_at = coalesce(s.started_at, now()),
        origin_job = ${jobKey}
      from current
      where s.run_id = ${runId} and s.node_id = ${nodeId} and s.path = ${path}
        and current.status in ${sql(LIVE_STEP_LIST)}
      returning current.status as previous, s.fence, s.attempt, s.state, s.wake_at
    ), started as (
      update runs set status = 'running', started_at = coalesce(started_at, now()), updated_at = now()
      where id = ${runId} and status = 'queued' and exists (select 1 from claimed)
    )
    select
      (select ${sql.unsafe(RUN_JSON)} from live r) as run,
      (select json_build_object('previous', previous, 'fence', fence, 'attempt', attempt, 'state', state,
        'wakeAt', wake_at) from claimed) as claim,
      (select coalesce(json_agg(json_build_object('nodeId', node_id, 'path', path, 'status', status,
        'branch', branch, 'input', input, 'output', output)), '[]'::json)
        from steps where run_id = ${runId}
          and (node_id, path) in (select * from unnest(${visible.nodeIds}::text[], ${visible.paths}::text[]))) as steps`;
  return parseContext(row, { nodeId, path });
}

type PeekRequest = {
  runId: string;
  nodeId: string;
  path: string;
  jobKey: string;
  visible: { nodeIds: string[]; paths: string[] };
};

/** Most step reads one statement serves. */
const MAX_PEEK_BATCH = 64;

const peekBatched = batcherPer((sql: Sql) =>
  createBatcher((requests: PeekRequest[]) => peekMany(sql, requests), MAX_PEEK_BATCH),
);

/**
 * claimWithContext without the claim, for a step of a claimless core node (CLAIMLESS_CORE_NODES): a read (shared with the reads other
 * jobs of this worker need at the same moment). The claim it returns is unclaimed, or undefined unless the step
 * is `queued` (then the caller claims as usual).
 */
export function peekWithContext(sql: Sql, request: PeekRequest): Promise<StepContext> {
  return peekBatched(sql, request);
}

async function peekMany(sql: Sql, requests: PeekRequest[]): Promise<PromiseSettledResult<StepContext>[]> {
  const input = requests.map((request, index) => ({
    i: index,
    run_id: request.runId,
    node_id: request.nodeId,
    path: request.path,
    visible: request.visible.nodeIds.map((nodeId, at) => [nodeId, request.visible.paths[at]]),
  }));
  const rows = await sql`
    select x.i,
      (select ${sql.unsafe(RUN_JSON)} from runs r where r.id = x.run_id and r.status in ${sql(LIVE_RUN_LIST)}) as run,
      (select json_build_object('previous', s.status, 'fence', s.fence, 'attempt', s.attempt + 1, 'state', s.state,
        'wakeAt', s.wake_at) from steps s
        where s.run_id = x.run_id and s.node_id = x.node_id and s.path = x.path and s.status = 'queued') as claim,
      (select coalesce(json_agg(json_build_object('nodeId', s.node_id, 'path', s.path, 'status', s.status,
        'branch', s.branch, 'input', s.input, 'output', s.output)), '[]'::json)
        from steps s where s.run_id = x.run_id
          and (s.node_id, s.path) in (select e->>0, e->>1 from jsonb_array_elements(x.visible) e)) as steps
    from jsonb_to_recordset(${json(sql, input)}::jsonb) as x(i int, run_id text, node_id text, path text, visible jsonb)`;
  const byIndex = new Map(rows.map((row) => [Number(row.i), row]));
  return requests.map((request, index) => {
    try {
      const row = byIndex.get(index);
      // A claim is only usable while its run is live (the run's status is checked again by the commit's guards).
      const context = parseContext(
        row?.run ? row : undefined,
        { nodeId: request.nodeId, path: request.path },
        { jobKey: request.jobKey },
      );
      return { status: 'fulfilled', value: context };
    } catch (error) {
      return { status: 'rejected', reason: error };
    }
  });
}

function parseContext(
  row: Record<string, unknown> | undefined,
  step: { nodeId: string; path: string },
  unclaimed?: { jobKey: string },
): StepContext {
  const run = row?.run ? RunRow.parse(row.run) : undefined;
  const parsed = row?.claim ? ClaimJson.parse(row.claim) : undefined;
  const claim = parsed
    ? {
        nodeId: step.nodeId,
        path: step.path,
        previous: parsed.previous,
        fence: parsed.fence,
        attempt: parsed.attempt,
        state: parsed.state,
        wakeAt: parsed.wakeAt ? new Date(parsed.wakeAt) : null,
        unclaimed,
      }
    : undefined;
  const steps = new Map<string, StepRow>();
  for (const entry of StepRows.parse(row?.steps ?? [])) steps.set(stepKey(entry.nodeId, entry.path), entry);
  return { run, claim, steps };
}

async function claimStep(
  sql: Sql,
  runId: string,
  nodeId: string,
  path: string,
  jobKey: string,
): Promise<Claim | undefined> {
  return (await claimWithContext(sql, { runId, nodeId, path }, jobKey, { nodeIds: [], paths: [] })).claim;
}

/** A job whose own step is done may still own a step it started inline before the worker died: resume that. */
export async function claimOrphan(sql: Sql, runId: string, jobKey: string): Promise<Claim | undefined> {
  const [row] = await sql`
    select node_id, path from steps where run_id = ${runId} and origin_job = ${jobKey} and status = 'running' limit 1`;
  if (!row) return undefined;
  const orphan = StepRef.parse(row);
  return claimStep(sql, runId, orphan.nodeId, orphan.path, jobKey);
}
