import type { Sql, TransactionSql } from '../db/index.ts';
import { credentialsUsableBy } from './credential-access.ts';
import type { Principal } from './principal.ts';
import { allows } from './principal.ts';

type Db = Sql | TransactionSql;

/** A workflow's owner (null: made before owners existed) and sharing scope; undefined when there is no such workflow. */
export async function workflowOwnership(
  sql: Db,
  workflowId: string,
): Promise<{ ownerId: string | null; scope: 'private' | 'workspace' } | undefined> {
  const [row] = await sql`select owner_id, scope from workflows where id = ${workflowId}`;
  if (!row) return undefined;
  return {
    ownerId: (row.ownerId as string | null) ?? null,
    scope: row.scope === 'private' ? 'private' : 'workspace',
  };
}

/** Makes `userId` a workflow's owner (a proposal's proposer, when it is approved). */
export async function setWorkflowOwner(sql: Db, workflowId: string, userId: string): Promise<void> {
  await sql`update workflows set owner_id = ${userId} where id = ${workflowId}`;
}

/** True when the principal may read the workflow: its owner, anyone for a workspace workflow, admins. */
export function mayReadWorkflow(
  principal: Principal,
  ownership: { ownerId: string | null; scope: 'private' | 'workspace' },
): boolean {
  if (!allows(principal, 'workflow.read')) return false;
  if (ownership.scope === 'workspace' || ownership.ownerId === principal.userId) return true;
  return allows(principal, 'workflow.manage_all');
}

export type CredentialUse = {
  /** The proposer's own credentials. */
  own: string[];
  /** Shared with the workspace by someone else, or owned by nobody (made before owners existed). */
  othersShared: string[];
  /** Private to someone else: the proposer may not use them. */
  forbidden: string[];
  /** Not stored (yet). */
  missing: string[];
  /** Credential name → its owner's user name (null: nobody). */
  ownerNames: Record<string, string | null>;
};

/**
 * Which of `names` a proposal may use and whose they are, by the run-time rule (credentialsUsableBy): the user's
 * own, workspace-shared and unowned ones, any for admins. `userId` null: a workflow nobody owns (a self-healing
 * fix for it), which may use only shared and unowned credentials.
 */
export async function credentialUse(
  sql: Db,
  userId: string | null,
  names: readonly string[],
): Promise<CredentialUse> {
  const use: CredentialUse = { own: [], othersShared: [], forbidden: [], missing: [], ownerNames: {} };
  if (names.length === 0) return use;
  const rows = await credentialsUsableBy(sql, userId, names);
  for (const row of rows) {
    if (!row.exists) {
      use.missing.push(row.name);
      continue;
    }
    use.ownerNames[row.name] = row.ownerName;
    const usable = userId === null ? row.scope === 'workspace' || row.ownerId === null : row.usable;
    if (userId !== null && row.ownerId === userId) use.own.push(row.name);
    else if (usable) use.othersShared.push(row.name);
    else use.forbidden.push(row.name);
  }
  return use;
}

/** True when some enabled user other than `userId` is an admin or owner of the workspace. */
export async function othersCanApprove(sql: Db, workspaceId: string, userId: string): Promise<boolean> {
  const rows = await sql`
    select 1 from users where workspace_id = ${workspaceId} and id <> ${userId} and disabled_at is null
      and role in ('owner', 'admin') limit 1`;
  return rows.length > 0;
}

/** User id → name, for approver lists people can read. */
export async function userNames(sql: Db, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await sql`select id, name from users where id = any(${[...ids]}::text[])`;
  return new Map(rows.map((row) => [String(row.id), String(row.name)]));
}

/** The ids among `ids` whose workflows `principal` may read (mayReadWorkflow); unknown ids are left out. */
export async function readableWorkflowIds(
  sql: Db,
  principal: Principal,
  ids: readonly string[],
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await sql`select id, owner_id, scope from workflows where id = any(${[...ids]}::text[])`;
  return new Set(
    rows
      .filter((row) =>
        mayReadWorkflow(principal, {
          ownerId: (row.ownerId as string | null) ?? null,
          scope: row.scope === 'private' ? 'private' : 'workspace',
        }),
      )
      .map((row) => String(row.id)),
  );
}
