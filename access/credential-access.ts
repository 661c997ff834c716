import type { Sql, TransactionSql } from '../db/index.ts';
import { AppError } from '../lib/index.ts';
import { allows, type Principal } from './principal.ts';
import { Role, roleAllows } from './roles.ts';

type Db = Sql | TransactionSql;

/** Who may use a credential, as a workflow owner or a proposal's author would. */
export type CredentialUse = {
  name: string;
  /** False when there is no credential of that name (a missing credential is not "forbidden"). */
  exists: boolean;
  usable: boolean;
  scope: 'private' | 'workspace' | null;
  ownerId: string | null;
  ownerName: string | null;
  /** Shared with the workspace by somebody else: the approval policy may want a second look. */
  sharedByOther: boolean;
};

/**
 * Which of `names` the user may use in their workflows: their own, the workspace-shared ones and ownerless
 * (legacy) ones; every one when the user is an admin or owner, or when there is no user (a workflow without an
 * owner, made before owners existed). A user without `credential.use` (operators, viewers) or a disabled user
 * may use none.
 */
export async function credentialsUsableBy(
  sql: Db,
  userId: string | null,
  names: readonly string[],
): Promise<CredentialUse[]> {
  if (names.length === 0) return [];
  const [user] = userId ? await sql`select role, disabled_at from users where id = ${userId}` : [undefined];
  const role = user ? Role.safeParse(user.role) : undefined;
  const active = role?.success === true && !user?.disabledAt;
  const mayUse = userId === null || (active && roleAllows(role.data, 'credential.use'));
  const seesAll = userId === null || (active && roleAllows(role.data, 'credential.manage_all'));
  const rows = await sql`
    select c.name, c.scope, c.owner_id, o.name as owner_name
    from credentials c left join users o on o.id = c.owner_id
    where c.name in ${sql([...new Set(names)])}`;
  const found = new Map(rows.map((row) => [String(row.name), row]));
  return names.map((name) => {
    const row = found.get(name);
    if (!row)
      return {
        name,
        exists: false,
        usable: false,
        scope: null,
        ownerId: null,
        ownerName: null,
        sharedByOther: false,
      };
    const scope = row.scope === 'private' ? 'private' : 'workspace';
    const ownerId = row.ownerId === null ? null : String(row.ownerId);
    const own = ownerId !== null && ownerId === userId;
    return {
      name,
      exists: true,
      usable: mayUse && (seesAll || own || scope === 'workspace' || ownerId === null),
      scope,
      ownerId,
      ownerName: row.ownerName === null ? null : String(row.ownerName),
      sharedByOther: scope === 'workspace' && ownerId !== null && !own,
    };
  });
}

/** The run-time check: a step may use `name` only when the workflow's owner may (see credentialsUsableBy). */
export async function assertCredentialUsableByWorkflow(
  sql: Db,
  workflowId: string,
  name: string,
  nodeId: string,
): Promise<void> {
  const [workflow] = await sql`
    select w.owner_id, o.name as owner_name, o.role as owner_role, o.disabled_at as owner_disabled_at
    from workflows w left join users o on o.id = w.owner_id
    where w.id = ${workflowId}`;
  const ownerId = workflow?.ownerId ? String(workflow.ownerId) : null;
  const [use] = await credentialsUsableBy(sql, ownerId, [name]);
  if (!use?.exists || use.usable) return;
  const ownerName = workflow?.ownerName ? String(workflow.ownerName) : 'its owner';
  const holder = use.ownerName ?? 'its owner';
  const ownerRole = Role.safeParse(workflow?.ownerRole);
  const disabled = Boolean(workflow?.ownerDisabledAt);
  const ownerMayUse = !disabled && ownerRole.success && roleAllows(ownerRole.data, 'credential.use');
  const why = ownerMayUse
    ? `which is private to ${holder}; this workflow's owner ${ownerName} may not use it`
    : `but this workflow's owner ${ownerName} ${disabled ? 'is disabled' : `is ${String(workflow?.ownerRole)}, a role that uses no credentials`}`;
  throw new AppError({
    code: 'E_CREDENTIAL_FORBIDDEN',
    message: `Node "${nodeId}" uses the credential "${name}", ${why}.`,
    hint: ownerMayUse
      ? `${holder} (or an admin) can share it with \`vmesh credentials share ${name}\`, or ${ownerName} can store a credential of their own and use that name.`
      : `An admin can give ${ownerName} the builder role (\`vmesh users role\`), or the workflow to a builder.`,
    retryable: false,
    details: { credential: name, node: nodeId, owner: ownerName, credentialOwner: holder },
  });
}

/** Whether `principal` may change, delete or share a credential owned by `ownerId`. */
export function mayManageCredential(principal: Principal, ownerId: string | null): boolean {
  if (allows(principal, 'credential.manage_all')) return true;
  return ownerId !== null && ownerId === principal.userId && allows(principal, 'credential.manage');
}
