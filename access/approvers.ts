import type { Principal } from './principal.ts';
import { atLeast, Role } from './roles.ts';

/**
 * Whether `principal` is one of a `core.approval` step's approvers. An entry is a user name (`alice`, matched
 * exactly) or `role:ROLE` (`role:admin`: anybody with that role or a higher one). An empty list names nobody:
 * anyone who may decide approvals and can see the run may decide.
 */
export function isApprover(principal: Principal, approvers: readonly string[]): boolean {
  if (approvers.length === 0) return true;
  return approvers.some((entry) => {
    if (!entry.startsWith('role:')) return entry === principal.name;
    const role = Role.safeParse(entry.slice('role:'.length));
    return role.success && atLeast(principal.role, role.data);
  });
}
