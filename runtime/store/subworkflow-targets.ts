// core.subworkflow targets are pinned to workflow ids when a document is stored: a name is resolved once, among
// the workflows the owner may run, so a workflow created later under the same name never receives the input.
import { z } from 'zod';
import type { Sql, TransactionSql } from '../../db/index.ts';
import { ValidationError } from '../../lib/index.ts';
import type { NodeGraph, WorkflowDocument, WorkflowNode } from '../workflow/document.ts';
import { maySubworkflowRun, type SubworkflowOwner } from './may-subworkflow-run.ts';

type Db = Sql | TransactionSql;

export const SUBWORKFLOW_USES = 'core.subworkflow';

const TargetRow = z.object({
  id: z.string(),
  name: z.string(),
  active: z.boolean(),
  ownerId: z.string().nullable(),
  ownerRef: z.string().nullable(),
  currentVersion: z.number().int(),
});
export type SubworkflowTarget = z.infer<typeof TargetRow>;

/** Every core.subworkflow node of a graph, foreach bodies included. */
export function subworkflowNodes(graph: Pick<NodeGraph, 'nodes'>): WorkflowNode[] {
  return graph.nodes.flatMap((node) => [
    ...(node.uses === SUBWORKFLOW_USES ? [node] : []),
    ...(node.do ? subworkflowNodes(node.do) : []),
  ]);
}

function targetRef(node: WorkflowNode): string | undefined {
  const value = node.with.workflow;
  return typeof value === 'string' ? value : undefined;
}

function targetError(message: string, hint: string, details: Record<string, unknown>): ValidationError {
  return new ValidationError({ code: 'E_SUBWORKFLOW_TARGET', message, hint, details });
}

/**
 * The workflow a reference names, among those `owner` may run: by id, else by exact name when exactly one
 * such workflow has it. `ambiguous` when several do (the reference must then be an id).
 */
export async function findSubworkflowTarget(
  sql: Db,
  ref: string,
  owner: SubworkflowOwner,
): Promise<{ target: SubworkflowTarget } | { problem: 'missing' | 'ambiguous' | 'forbidden' }> {
  const [byId] = await sql`
    select id, name, active, owner_id, owner_ref, current_version from workflows where id = ${ref} and deleted_at is null`;
  if (byId) {
    const target = TargetRow.parse(byId);
    return maySubworkflowRun(owner, target) ? { target } : { problem: 'forbidden' };
  }
  const rows = await sql`
    select id, name, active, owner_id, owner_ref, current_version from workflows where name = ${ref} and deleted_at is null
    order by created_at limit 50`;
  const runnable = rows.map((row) => TargetRow.parse(row)).filter((row) => maySubworkflowRun(owner, row));
  if (runnable.length === 1 && runnable[0]) return { target: runnable[0] };
  if (runnable.length > 1) return { problem: 'ambiguous' };
  return { problem: rows.length > 0 ? 'forbidden' : 'missing' };
}

/** The workflow ids a stored version's sub-workflow steps run (references not yet pinned are resolved). */
async function targetsOfVersion(sql: Db, workflow: SubworkflowTarget): Promise<string[]> {
  const [row] = await sql`
    select document from workflow_versions where workflow_id = ${workflow.id} and version = ${workflow.currentVersion}`;
  const graph = z.object({ nodes: z.array(z.looseObject({})) }).safeParse(row?.document);
  if (!graph.success) return [];
  const ids: string[] = [];
  for (const node of subworkflowNodes(graph.data as unknown as NodeGraph)) {
    const ref = targetRef(node);
    if (ref === undefined) continue;
    const found = await findSubworkflowTarget(sql, ref, workflow);
    if ('target' in found) ids.push(found.target.id);
  }
  return ids;
}

/** A path of workflow ids from one of `targets` back to `self`, when running them can come back to it. */
async function cycleThrough(
  sql: Db,
  self: string,
  targets: SubworkflowTarget[],
): Promise<string[] | undefined> {
  const seen = new Set<string>();
  const queue: { workflow: SubworkflowTarget; path: string[] }[] = targets.map((workflow) => ({
    workflow,
    path: [workflow.id],
  }));
  while (queue.length > 0) {
    const next = queue.shift();
    if (!next) break;
    if (next.workflow.id === self) return next.path;
    if (seen.has(next.workflow.id)) continue;
    seen.add(next.workflow.id);
    for (const id of await targetsOfVersion(sql, next.workflow)) {
      const [row] = await sql`
        select id, name, active, owner_id, owner_ref, current_version from workflows where id = ${id} and deleted_at is null`;
      if (row) queue.push({ workflow: TargetRow.parse(row), path: [...next.path, id] });
    }
  }
  return undefined;
}

/**
 * The document with every core.subworkflow `workflow` rewritten to the id of the workflow it names, resolved
 * for `owner`. Refuses (E_SUBWORKFLOW_TARGET) a target that does not exist, is ambiguous or belongs to another
 * owner, and (E_SUBWORKFLOW_CYCLE) targets whose own sub-workflows lead back to `workflowId`.
 */
export async function pinSubworkflowTargets(
  sql: Db,
  document: WorkflowDocument,
  context: { workflowId: string; owner: SubworkflowOwner },
): Promise<WorkflowDocument> {
  const pinned = structuredClone(document);
  const targets: SubworkflowTarget[] = [];
  for (const node of subworkflowNodes(pinned)) {
    const ref = targetRef(node);
    if (ref === undefined) continue;
    const found = await findSubworkflowTarget(sql, ref, context.owner);
    if (!('target' in found)) {
      const why = {
        missing: `no stored workflow has the id or name "${ref}"`,
        ambiguous: `several workflows are named "${ref}"`,
        forbidden: `the workflow "${ref}" belongs to another owner`,
      }[found.problem];
      throw targetError(
        `core.subworkflow step "${node.id}": ${why}.`,
        found.problem === 'ambiguous'
          ? 'Set "workflow" to the id of the one to run (GET /api/workflows lists them).'
          : 'Set "workflow" to the id or exact name of a workflow you own; save that workflow first.',
        { nodeId: node.id, workflow: ref, problem: found.problem },
      );
    }
    node.with.workflow = found.target.id;
    targets.push(found.target);
  }
  const cycle = await cycleThrough(sql, context.workflowId, targets);
  if (cycle) {
    throw new ValidationError({
      code: 'E_SUBWORKFLOW_CYCLE',
      message: `The sub-workflows of this workflow run it again: ${[context.workflowId, ...cycle].join(' → ')}.`,
      hint: 'Remove the core.subworkflow step that leads back, or move the shared steps into a workflow neither calls.',
      details: { cycle: [context.workflowId, ...cycle] },
    });
  }
  return pinned;
}
