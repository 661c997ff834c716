import { z } from 'zod';
import { json, type Sql } from '../../db/index.ts';
import { advanceShape, fieldPathsOf, type StepShape, topMissingPaths } from './output-shape.ts';

/** Finished runs read per workflow and tick, and the largest step output read (bigger ones are skipped). */
const RUNS_PER_TICK = 25;
const MAX_OUTPUT_BYTES = 256 * 1024;
/** Where a workflow the learner has not read yet starts: runs of the last day. */
const FIRST_LOOK_BACK_MS = 86_400_000;

const ShapeRecord = z.object({
  present: z.record(z.string(), z.number()).catch({}),
  missing: z.record(z.string(), z.number()).catch({}),
});

export type ShapeChange = { nodeId: string; missing: string[]; runId: string | null };

/**
 * Reads a workflow's runs finished since the last call (bounded) and folds each top-level succeeded step's output
 * field paths into that step's shape record. Only paths are kept, never values.
 */
export async function learnStepShapes(sql: Sql, workflowId: string, now: Date): Promise<void> {
  const [cursor] =
    await sql`select finished_at, run_id from step_shape_cursors where workflow_id = ${workflowId}`;
  const after = (cursor?.finishedAt as Date | undefined) ?? new Date(now.getTime() - FIRST_LOOK_BACK_MS);
  const afterRun = cursor ? String(cursor.runId) : '';
  const runs = await sql`
    select id, finished_at from runs
    where workflow_id = ${workflowId} and finished_at is not null and pruned_at is null
      and (finished_at, id) > (${after}, ${afterRun})
    order by finished_at, id limit ${RUNS_PER_TICK}`;
  if (runs.length === 0) {
    await sql`
      insert into step_shape_cursors (workflow_id, finished_at, run_id, read_at)
      values (${workflowId}, ${after}, ${afterRun}, ${now})
      on conflict (workflow_id) do update set read_at = excluded.read_at`;
    return;
  }
  const runIds = runs.map((row) => String(row.id));
  const steps = await sql`
    select s.run_id, s.node_id, case when pg_column_size(s.output) <= ${MAX_OUTPUT_BYTES} then s.output end as output
    from steps s join unnest(${runIds}::text[]) with ordinality as r(id, ord) on r.id = s.run_id
    where s.path = '' and s.status = 'succeeded' and s.output is not null
    order by r.ord, s.finished_at nulls last, s.node_id`;
  const shapes = new Map<string, { shape: StepShape; runId: string }>();
  if (steps.length > 0) {
    const nodeIds = [...new Set(steps.map((row) => String(row.nodeId)))];
    const stored = await sql`
      select node_id, present, missing from step_shapes
      where workflow_id = ${workflowId} and node_id = any(${nodeIds})`;
    for (const row of stored) shapes.set(String(row.nodeId), { shape: ShapeRecord.parse(row), runId: '' });
  }
  for (const row of steps) {
    if (row.output === null) continue;
    const nodeId = String(row.nodeId);
    const before = shapes.get(nodeId)?.shape ?? { present: {}, missing: {} };
    shapes.set(nodeId, { shape: advanceShape(before, fieldPathsOf(row.output)), runId: String(row.runId) });
  }
  const last = runs.at(-1);
  await sql.begin(async (tx) => {
    for (const [nodeId, { shape, runId }] of shapes) {
      if (runId === '') continue;
      await tx`
        insert into step_shapes (workflow_id, node_id, present, missing, last_run_id, updated_at)
        values (${workflowId}, ${nodeId}, ${json(tx, shape.present)}, ${json(tx, shape.missing)}, ${runId}, now())
        on conflict (workflow_id, node_id) do update set present = excluded.present, missing = excluded.missing,
          last_run_id = excluded.last_run_id, updated_at = now()`;
    }
    await tx`
      insert into step_shape_cursors (workflow_id, finished_at, run_id, read_at)
      values (${workflowId}, ${last?.finishedAt as Date}, ${String(last?.id)}, ${now})
      on conflict (workflow_id) do update set finished_at = excluded.finished_at, run_id = excluded.run_id,
        read_at = excluded.read_at`;
  });
}

/** The steps of a workflow whose latest successful outputs lack fields they used to have. */
export async function shapeChanges(sql: Sql, workflowId: string): Promise<ShapeChange[]> {
  const rows = await sql`
    select node_id, present, missing, last_run_id from step_shapes
    where workflow_id = ${workflowId} and missing <> '{}'::jsonb order by node_id`;
  return rows.map((row) => ({
    nodeId: String(row.nodeId),
    missing: topMissingPaths(ShapeRecord.parse(row)),
    runId: row.lastRunId === null ? null : String(row.lastRunId),
  }));
}
