/** Who a workflow belongs to, as far as running another workflow is concerned. */
export type SubworkflowOwner = { ownerId: string | null; ownerRef: string | null };

/** How many sub-runs deep a chain of core.subworkflow steps may go below the run that started it. */
export const MAX_SUBWORKFLOW_DEPTH = 8;

/**
 * May a step of `parent` run `target` as a sub-workflow? Only within one owner: the same user (`owner_id`). Two
 * workflows made before owners existed (no `owner_id`) count as one owner when their `owner_ref` labels match. A
 * workflow with an owner never runs an unowned one, nor an unowned one an owned one.
 */
export function maySubworkflowRun(parent: SubworkflowOwner, target: SubworkflowOwner): boolean {
  if (parent.ownerId !== null || target.ownerId !== null) return parent.ownerId === target.ownerId;
  return parent.ownerRef === target.ownerRef;
}
