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
  const rights = rightsOf(userId, user);
  const rows = await sql`
    select c.name, c.scope, c.owner_id, o.name as owner_name
    from credentials c left join users o on o.id = c.owner_id
    where c.name in ${sql([...new Set(names)])}`;
  const found = new Map(rows.map((row) => [String(row.name), row]));
  return names.map((name) => useOf(name, userId, rights, found.get(name)));
}

type Rights = { mayUse: boolean; seesAll: boolean };

/** What a workflow owner may use at all: nothing without credential.use (or when disabled), all as an admin. */
function rightsOf(userId: string | null, user: { role?: unknown; disabledAt?: unknown } | undefined): Rights {
  if (userId === null) return { mayUse: true, seesAll: true };
  const role = Role.safeParse(user?.role);
  const active = user !== undefined && role.success && !user.disabledAt;
  return {
    mayUse: active && roleAllows(role.data, 'credential.use'),
    seesAll: active && roleAllows(role.data, 'credential.manage_all'),
  };
}

function useOf(
  name: string,
  userId: string | null,
  rights: Rights,
  row: Record<string, unknown> | undefined,
): CredentialUse {
  if (!row || row.scope === null || row.scope === undefined)
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
  const ownerId = row.ownerId === null || row.ownerId === undefined ? null : String(row.ownerId);
  const own = ownerId !== null && ownerId === userId;
  return {
    name,
    exists: true,
    usable: rights.mayUse && (rights.seesAll || own || scope === 'workspace' || ownerId === null),
    scope,
    ownerId,
    ownerName: row.ownerName === null || row.ownerName === undefined ? null : String(row.ownerName),
    sharedByOther: scope === 'workspace' && ownerId !== null && !own,
  };
}

/**
 * The run-time check, one query per step that names a credential: a step may use `name` only when the
 * workflow's owner may (see credentialsUsableBy). A missing credential passes here (the caller reports it).
 */
export async function assertCredentialUsableByWorkflow(
  sql: Db,
  workflowId: string,
  name: string,
  nodeId: string,
): Promise<void> {
  const [row] = await sql`
    select w.owner_id as workflow_owner_id, wo.name as workflow_owner_name, wo.role, wo.disabled_at,
      c.scope, c.owner_id, co.name as owner_name
    from workflows w
      left join users wo on wo.id = w.owner_id
      left join credentials c on c.name = ${name}
      left join users co on co.id = c.owner_id
    where w.id = ${workflowId}`;
  const ownerId = row?.workflowOwnerId ? String(row.workflowOwnerId) : null;
  const rights = rightsOf(ownerId, row?.workflowOwnerName === null ? undefined : row);
  const use = useOf(name, ownerId, rights, row);
  if (!use.exists || use.usable) return;
  const ownerName = row?.workflowOwnerName ? String(row.workflowOwnerName) : 'its owner';
  const holder = use.ownerName ?? 'its owner';
  const disabled = Boolean(row?.disabledAt);
  const why = rights.mayUse
    ? `which is private to ${holder}; this workflow's owner ${ownerName} may not use it`
    : `but this workflow's owner ${ownerName} ${disabled ? 'is disabled' : `is ${String(row?.role)}, a role that uses no credentials`}`;
  throw new AppError({
    code: 'E_CREDENTIAL_FORBIDDEN',
    message: `Node "${nodeId}" uses the credential "${name}", ${why}.`,
    hint: rights.mayUse
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

/**
 * Whether `principal` may see a credential (its name, type, state and users; never its secret): the ones they
 * may use in their workflows (their own, workspace-shared, unowned), every one with `credential.manage_all`.
 */
export function maySeeCredential(
  principal: Principal,
  credential: { ownerId: string | null; scope: 'private' | 'workspace' },
): boolean {
  if (allows(principal, 'credential.manage_all')) return true;
  if (!allows(principal, 'credential.use')) return false;
  return (
    credential.scope === 'workspace' || credential.ownerId === null || credential.ownerId === principal.userId
  );
}
