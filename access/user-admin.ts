import type { Sql, TransactionSql } from '../db/index.ts';
import { ConflictError, NotFoundError, ValidationError } from '../lib/index.ts';
import { audit } from './audit.ts';
import { assertAllowed } from './http.ts';
import type { Principal } from './principal.ts';
import type { Role } from './roles.ts';
import {
  createUser,
  findUser,
  identitiesOf,
  LOCAL_OWNER_NAME,
  linkIdentity,
  setDisabled,
  setRole,
  type User,
  unlinkIdentity,
} from './user-store.ts';

// Who may change whom (the same rules for the CLI and the HTTP API): admins (`user.manage`) manage people below
// owner; only owners (`owner.manage`) make, unmake, disable or relink owners; the last enabled owner stays.

/** A user by id or name, or a 404 that says how to find one. */
export async function requireUser(sql: Sql | TransactionSql, idOrName: string): Promise<User> {
  const user = await findUser(sql, idOrName);
  if (!user) {
    throw new NotFoundError({
      code: 'E_NOT_FOUND',
      message: `No user "${idOrName}".`,
      hint: 'List them with `vmesh users list` or GET /api/users.',
    });
  }
  return user;
}

function assertMayManage(by: Principal, target: { role: Role }, newRole?: Role): void {
  assertAllowed(by, 'user.manage');
  if (target.role === 'owner' || newRole === 'owner') assertAllowed(by, 'owner.manage');
}

/** The local shell's identity is not managed by hand: unlinking it would make a second local owner. */
function assertManagedProvider(provider: string): void {
  if (provider === 'local') {
    throw new ValidationError({
      code: 'E_USER',
      message: 'The "local" identity belongs to the shell and cannot be linked or unlinked.',
      hint: 'Link a slack, discord or oidc identity instead.',
    });
  }
}

export async function addUser(
  sql: Sql,
  by: Principal,
  input: {
    name: string;
    role: Role;
    email?: string | undefined;
    identities?: readonly { provider: string; subject: string }[] | undefined;
  },
): Promise<User> {
  assertMayManage(by, { role: input.role });
  for (const identity of input.identities ?? []) assertManagedProvider(identity.provider);
  return sql.begin(async (tx) => {
    const user = await createUser(tx, { name: input.name, role: input.role, email: input.email });
    for (const identity of input.identities ?? [])
      await linkIdentity(tx, user.id, identity.provider, identity.subject);
    await audit(tx, {
      principal: by,
      action: 'user.created',
      subjectType: 'user',
      subjectId: user.id,
      details: {
        name: user.name,
        role: user.role,
        identities: (input.identities ?? []).map((identity) => `${identity.provider}:${identity.subject}`),
      },
    });
    return user;
  });
}

/**
 * Changes a user's role and/or disables or enables them. Refused (409 E_LAST_OWNER) when it would leave the
 * workspace without an enabled owner; owners are serialised on one lock so two concurrent demotions cannot both
 * pass that check.
 */
export async function updateUser(
  sql: Sql,
  by: Principal,
  idOrName: string,
  change: { role?: Role | undefined; disabled?: boolean | undefined },
): Promise<User> {
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext('vmesh.owners'))`;
    const target = await requireUser(tx, idOrName);
    assertMayManage(by, target, change.role);
    const losesOwner =
      target.role === 'owner' &&
      target.disabledAt === null &&
      ((change.role !== undefined && change.role !== 'owner') || change.disabled === true);
    if (losesOwner) {
      const [others] = await tx`
        select count(*)::int as n from users
        where workspace_id = ${target.workspaceId} and role = 'owner' and disabled_at is null and id <> ${target.id}`;
      if (Number(others?.n ?? 0) === 0) {
        throw new ConflictError({
          code: 'E_LAST_OWNER',
          message: `${target.name} is the last owner; the workspace must keep one.`,
          hint: 'Make somebody else an owner first (`vmesh users role NAME owner`).',
        });
      }
      const [shell] = await tx`
        select 1 from user_identities where provider = 'local' and subject = ${LOCAL_OWNER_NAME} and user_id = ${target.id}`;
      if (shell) {
        throw new ConflictError({
          code: 'E_LOCAL_OWNER',
          message: `${target.name} is the local owner (the shell, the CLI and the shared token act as them) and stays an enabled owner.`,
          hint: "Change someone else: the local owner is whoever can use this machine's shell and data dir.",
        });
      }
    }
    let user = target;
    if (change.role !== undefined) user = await setRole(tx, target.id, change.role);
    if (change.disabled !== undefined) user = await setDisabled(tx, target.id, change.disabled);
    if (change.role !== undefined && change.role !== target.role)
      await audit(tx, {
        principal: by,
        action: 'user.role_changed',
        subjectType: 'user',
        subjectId: target.id,
        details: { name: target.name, from: target.role, to: change.role },
      });
    if (change.disabled !== undefined && change.disabled !== (target.disabledAt !== null))
      await audit(tx, {
        principal: by,
        action: change.disabled ? 'user.disabled' : 'user.enabled',
        subjectType: 'user',
        subjectId: target.id,
        details: { name: target.name },
      });
    return user;
  });
}

export async function linkUserIdentity(
  sql: Sql,
  by: Principal,
  idOrName: string,
  provider: string,
  subject: string,
): Promise<User> {
  assertManagedProvider(provider);
  const target = await requireUser(sql, idOrName);
  assertMayManage(by, target);
  await sql.begin(async (tx) => {
    await linkIdentity(tx, target.id, provider, subject);
    await audit(tx, {
      principal: by,
      action: 'identity.linked',
      subjectType: 'user',
      subjectId: target.id,
      details: { name: target.name, identity: `${provider}:${subject}` },
    });
  });
  return target;
}

/** Unlinks an identity; with `fromUser`, only when it belongs to that user (else a 404). */
export async function unlinkUserIdentity(
  sql: Sql,
  by: Principal,
  provider: string,
  subject: string,
  fromUser?: string | undefined,
): Promise<void> {
  assertManagedProvider(provider);
  const [row] = await sql`
    select u.id, u.role from user_identities i join users u on u.id = i.user_id
    where i.provider = ${provider} and i.subject = ${subject}`;
  const expected = fromUser === undefined ? undefined : await requireUser(sql, fromUser);
  if (!row || (expected && expected.id !== row.id)) {
    throw new NotFoundError({
      code: 'E_NOT_FOUND',
      message: `No linked identity ${provider}:${subject}${expected ? ` on ${expected.name}` : ''}.`,
      hint: 'See the identities with `vmesh users list`.',
    });
  }
  assertMayManage(by, { role: row.role as Role });
  await sql.begin(async (tx) => {
    await unlinkIdentity(tx, provider, subject);
    await audit(tx, {
      principal: by,
      action: 'identity.unlinked',
      subjectType: 'user',
      subjectId: String(row.id),
      details: { identity: `${provider}:${subject}` },
    });
  });
}

/** Users with their linked identities, for listings. */
export async function describeUsers(
  sql: Sql,
  users: readonly User[],
): Promise<(User & { identities: { provider: string; subject: string }[] })[]> {
  return Promise.all(users.map(async (user) => ({ ...user, identities: await identitiesOf(sql, user.id) })));
}
