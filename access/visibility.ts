import type { Principal } from './principal.ts';
import { roleAllows } from './roles.ts';

/** What decides who sees a workflow (and its runs, versions and approvals). */
export type OwnedObject = { ownerId: string | null; scope: 'private' | 'workspace' };

/**
 * A workspace workflow is visible to everybody in the workspace; a private one to its owner and to people whose
 * role may manage anybody's workflows (admins, owners). Callers answer 404 for an invisible object, so ids do
 * not leak.
 */
export function canSee(principal: Principal, object: OwnedObject): boolean {
  if (object.scope !== 'private') return true;
  return object.ownerId === principal.userId || roleAllows(principal.role, 'workflow.manage_all');
}

/** True when the principal sees every workflow, whatever its scope (list queries skip the filter). */
export function seesAll(principal: Principal): boolean {
  return roleAllows(principal.role, 'workflow.manage_all');
}
