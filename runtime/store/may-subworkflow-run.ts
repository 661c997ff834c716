/** Who a workflow belongs to, as far as running another workflow is concerned. */
export type SubworkflowOwner = { ownerRef: string | null };

/** How many sub-runs deep a chain of core.subworkflow steps may go below the run that started it. */
export const MAX_SUBWORKFLOW_DEPTH = 8;

/**
 * May a step of `parent` run `target` as a sub-workflow? Only within one owner: the same `owner_ref`, where two
 * workflows without an owner (created by the operator through the API or CLI) count as one owner. A workflow
 * with an owner never runs an unowned one, nor an unowned one an owned one. The single place to re-point when
 * owners change shape.
 */
export function maySubworkflowRun(parent: SubworkflowOwner, target: SubworkflowOwner): boolean {
  return parent.ownerRef === target.ownerRef;
}
