import { z } from 'zod';
import type { Sql, TransactionSql } from '../../db/index.ts';
import type { AppError } from '../../lib/index.ts';
import { nodeFailure } from '../nodes/index.ts';
import { MAX_SUBWORKFLOW_DEPTH } from '../store/may-subworkflow-run.ts';
import { findSubworkflowTarget, type SubworkflowTarget } from '../store/subworkflow-targets.ts';

type Db = Sql | TransactionSql;

/** How many runs above `runId` started it through core.subworkflow (0 for a run nothing started). */
async function ancestorCount(db: Db, runId: string): Promise<number> {
  const [row] = await db`
    with recursive chain (id, parent_run_id, depth) as (
      select id, parent_run_id, 0 from runs where id = ${runId}
      union all
      select r.id, r.parent_run_id, c.depth + 1 from runs r join chain c on r.id = c.parent_run_id
      where c.depth <= ${MAX_SUBWORKFLOW_DEPTH}
    )
    select max(depth)::int as depth from chain`;
  return z.object({ depth: z.number().nullable() }).parse(row).depth ?? 0;
}

const refused = (code: string, message: string, hint: string): AppError => nodeFailure(code, message, hint);

/**
 * The workflow a core.subworkflow step of `run` may start for `ref`, or a non-retryable failure saying why not:
 * the target must exist, be active and share the parent's owner (maySubworkflowRun), and the child run must not
 * nest deeper than MAX_SUBWORKFLOW_DEPTH (which also ends a cycle that validation could not see).
 */
export async function runnableSubworkflowTarget(
  db: Db,
  run: { id: string; workflowId: string },
  ref: string,
): Promise<SubworkflowTarget> {
  if (ref.includes('{{')) {
    throw refused(
      'E_SUBWORKFLOW_TARGET',
      `core.subworkflow: the target "${ref}" is an expression; targets are fixed when the workflow is saved.`,
      'Set "workflow" to the id of one stored workflow and save a new version.',
    );
  }
  const [parent] = await db`select owner_id, owner_ref from workflows where id = ${run.workflowId}`;
  const owner = z
    .object({ ownerId: z.string().nullable(), ownerRef: z.string().nullable() })
    .parse(parent ?? { ownerId: null, ownerRef: null });
  const found = await findSubworkflowTarget(db, ref, owner);
  if (!('target' in found)) {
    if (found.problem === 'forbidden') {
      throw refused(
        'E_SUBWORKFLOW_FORBIDDEN',
        `core.subworkflow: the workflow "${ref}" belongs to another owner, so this workflow may not run it.`,
        'Run only workflows with the same owner; ask its owner to share the steps another way.',
      );
    }
    throw refused(
      found.problem === 'ambiguous' ? 'E_SUBWORKFLOW_TARGET' : 'E_SUBWORKFLOW',
      found.problem === 'ambiguous'
        ? `core.subworkflow: several workflows are named "${ref}".`
        : `core.subworkflow: no workflow with id or name "${ref}".`,
      'Set "workflow" to the id of a stored workflow and save a new version.',
    );
  }
  const { target } = found;
  if (!target.active) {
    throw refused(
      'E_SUBWORKFLOW_INACTIVE',
      `core.subworkflow: the workflow "${target.name}" (${target.id}) is not active, so it does not run.`,
      `Activate it (vmesh workflows activate ${target.id}, or POST /api/workflows/${target.id}/activate), then retry the run.`,
    );
  }
  const depth = (await ancestorCount(db, run.id)) + 1;
  if (depth > MAX_SUBWORKFLOW_DEPTH) {
    throw refused(
      'E_SUBWORKFLOW_DEPTH',
      `core.subworkflow: starting "${target.name}" (${target.id}) would nest sub-runs ${depth} deep; at most ${MAX_SUBWORKFLOW_DEPTH} are allowed (a workflow that ends up running itself?).`,
      'Break the chain of core.subworkflow steps: no workflow should run itself through its sub-workflows.',
    );
  }
  return target;
}
