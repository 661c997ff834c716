import { z } from 'zod';

/** Highest first. A role holds every permission of the roles below it, plus its own. */
export const ROLES = ['owner', 'admin', 'builder', 'operator', 'viewer'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

export const PERMISSIONS = [
  // viewer
  'workflow.read',
  'run.read',
  // operator
  'run.start',
  'run.operate',
  'workflow.activate',
  'approval.decide',
  // builder
  'workflow.propose',
  'proposal.approve',
  'credential.use',
  'credential.manage',
  // admin
  'workflow.manage_all',
  'credential.manage_all',
  'user.manage',
  'token.manage_all',
  'audit.read',
  // owner
  'owner.manage',
] as const;
export const Permission = z.enum(PERMISSIONS);
export type Permission = z.infer<typeof Permission>;

const OWN: Readonly<Record<Role, readonly Permission[]>> = {
  viewer: ['workflow.read', 'run.read'],
  operator: ['run.start', 'run.operate', 'workflow.activate', 'approval.decide'],
  builder: ['workflow.propose', 'proposal.approve', 'credential.use', 'credential.manage'],
  admin: ['workflow.manage_all', 'credential.manage_all', 'user.manage', 'token.manage_all', 'audit.read'],
  owner: ['owner.manage'],
};

/** What each permission lets a person do, for docs, `vmesh users roles` and error hints. */
export const PERMISSION_MEANING: Readonly<Record<Permission, string>> = {
  'workflow.read': 'see workflows, their documents and pictures',
  'run.read': 'see runs with their inputs and outputs',
  'run.start': 'start a workflow by hand',
  'run.operate': 'cancel, retry and resume runs',
  'workflow.activate': 'activate and deactivate workflows',
  'approval.decide': 'decide a `core.approval` step that names them (or names nobody)',
  'workflow.propose': 'propose new workflows and changes through the agent',
  'proposal.approve': 'approve proposals the policy lets them approve (never their own alone)',
  'credential.use': 'use their own credentials and the ones shared with the workspace in workflows',
  'credential.manage': 'create, replace, rename and delete their own credentials',
  'workflow.manage_all': "change, approve and delete anybody's workflows",
  'credential.manage_all': "manage and share anybody's credentials",
  'user.manage': 'add people, link their chat accounts, change roles below owner',
  'token.manage_all': "create and revoke anybody's API tokens",
  'audit.read': 'read the audit log',
  'owner.manage': 'make and unmake owners',
};

const rank = (role: Role): number => ROLES.indexOf(role);

/** Every permission a role holds: its own and those of every role below it. */
export function permissionsOf(role: Role): ReadonlySet<Permission> {
  const held = new Set<Permission>();
  for (const candidate of ROLES)
    if (rank(candidate) >= rank(role)) for (const p of OWN[candidate]) held.add(p);
  return held;
}

export function roleAllows(role: Role, permission: Permission): boolean {
  return permissionsOf(role).has(permission);
}

/** True when `role` is at least `floor` (owner > admin > builder > operator > viewer). */
export function atLeast(role: Role, floor: Role): boolean {
  return rank(role) <= rank(floor);
}
