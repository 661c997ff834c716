import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Sql, TransactionSql } from '../db/index.ts';
import { AppError, ValidationError } from '../lib/index.ts';
import type { FrontEnd, Principal } from './principal.ts';
import { Role } from './roles.ts';

export const DEFAULT_WORKSPACE = 'default';

export const UserName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/,
    'letters, digits, `_`, `.`, `@` and `-`, at most 64, starting with a letter or digit',
  );
export const IdentityProvider = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'a lower-case provider name');
export const IdentitySubject = z.string().min(1).max(512);

const UserRow = z.object({
  id: z.string(),
  workspaceId: z.string(),
  name: z.string(),
  role: Role,
  email: z.string().nullable(),
  createdAt: z.date(),
  disabledAt: z.date().nullable(),
});
export type User = z.infer<typeof UserRow>;

type Db = Sql | TransactionSql;

const USER_COLUMNS = ['id', 'workspace_id', 'name', 'role', 'email', 'created_at', 'disabled_at'];

function newUserId(): string {
  return `usr_${randomBytes(9).toString('base64url')}`;
}

function parseInput<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ValidationError({
      code: 'E_USER',
      message: `Invalid ${what}: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`,
      hint: `Choose a ${what} that matches the rule in the message.`,
    });
  }
  return parsed.data;
}

export async function createUser(
  sql: Db,
  input: { name: string; role: Role; email?: string | undefined; workspaceId?: string | undefined },
): Promise<User> {
  const name = parseInput(UserName, input.name, 'user name');
  const role = parseInput(Role, input.role, 'role');
  const rows = await sql`
    insert into users (id, workspace_id, name, role, email)
    values (${newUserId()}, ${input.workspaceId ?? DEFAULT_WORKSPACE}, ${name}, ${role}, ${input.email ?? null})
    on conflict (workspace_id, name) do nothing
    returning ${sql(USER_COLUMNS)}`;
  if (rows.length === 0) {
    throw new AppError({
      code: 'E_USER_EXISTS',
      message: `There is already a user named "${name}".`,
      hint: 'Choose another name, or change that user with `vmesh users role`.',
    });
  }
  return UserRow.parse(rows[0]);
}

/** A user by id or by name (in the default workspace). */
export async function findUser(sql: Db, idOrName: string): Promise<User | undefined> {
  const rows = await sql`
    select ${sql(USER_COLUMNS)} from users
    where id = ${idOrName} or (workspace_id = ${DEFAULT_WORKSPACE} and name = ${idOrName})
    limit 1`;
  return rows[0] ? UserRow.parse(rows[0]) : undefined;
}

export async function listUsers(sql: Db, workspaceId: string = DEFAULT_WORKSPACE): Promise<User[]> {
  const rows = await sql`
    select ${sql(USER_COLUMNS)} from users where workspace_id = ${workspaceId} order by created_at, name`;
  return rows.map((row) => UserRow.parse(row));
}

export async function setRole(sql: Db, userId: string, role: Role): Promise<User> {
  const rows = await sql`update users set role = ${role} where id = ${userId} returning ${sql(USER_COLUMNS)}`;
  if (!rows[0]) throw unknownUser(userId);
  return UserRow.parse(rows[0]);
}

/** A disabled user keeps their records (owner of workflows, audit entries) but resolves to nobody. */
export async function setDisabled(sql: Db, userId: string, disabled: boolean): Promise<User> {
  const rows = await sql`
    update users set disabled_at = ${disabled ? sql`now()` : null} where id = ${userId}
    returning ${sql(USER_COLUMNS)}`;
  if (!rows[0]) throw unknownUser(userId);
  return UserRow.parse(rows[0]);
}

/** Links a front-end identity to a user; an identity belongs to one user only. */
export async function linkIdentity(
  sql: Db,
  userId: string,
  provider: string,
  subject: string,
): Promise<void> {
  const checkedProvider = parseInput(IdentityProvider, provider, 'identity provider');
  const checkedSubject = parseInput(IdentitySubject, subject, 'identity');
  const rows = await sql`
    insert into user_identities (provider, subject, user_id) values (${checkedProvider}, ${checkedSubject}, ${userId})
    on conflict (provider, subject) do update set user_id = user_identities.user_id
    returning user_id`;
  if (rows[0]?.userId !== userId) {
    throw new AppError({
      code: 'E_IDENTITY_TAKEN',
      message: `${checkedProvider}:${checkedSubject} already belongs to another user.`,
      hint: 'Unlink it from that user first (`vmesh users unlink`).',
    });
  }
}

export async function unlinkIdentity(sql: Db, provider: string, subject: string): Promise<boolean> {
  const rows =
    await sql`delete from user_identities where provider = ${provider} and subject = ${subject} returning 1`;
  return rows.length > 0;
}

export async function identitiesOf(
  sql: Db,
  userId: string,
): Promise<{ provider: string; subject: string }[]> {
  const rows = await sql`
    select provider, subject from user_identities where user_id = ${userId} order by provider, subject`;
  return rows.map((row) => ({ provider: String(row.provider), subject: String(row.subject) }));
}

export function toPrincipal(user: User, via: FrontEnd, identity: string): Principal {
  return { userId: user.id, workspaceId: user.workspaceId, name: user.name, role: user.role, via, identity };
}

/** The person behind a front-end identity, or undefined for a stranger (or a disabled user). */
export async function resolveIdentity(
  sql: Db,
  provider: string,
  subject: string,
  via: FrontEnd,
): Promise<Principal | undefined> {
  const rows = await sql`
    select ${sql(USER_COLUMNS.map((column) => `u.${column}`))} from user_identities i join users u on u.id = i.user_id
    where i.provider = ${provider} and i.subject = ${subject} and u.disabled_at is null`;
  return rows[0] ? toPrincipal(UserRow.parse(rows[0]), via, `${provider}:${subject}`) : undefined;
}

export const LOCAL_OWNER_NAME = 'owner';

/**
 * The workspace's first owner, who stands for the shell (anyone who can read the data dir's secret key can do
 * anything anyway), the shared VMESH_API_TOKEN, and `vmesh mcp`; on the web they sign in with a one-time link
 * (`npm start` prints one when there is no token). Made on first use.
 */
export async function ensureLocalOwner(sql: Sql, via: FrontEnd): Promise<Principal> {
  const existing = await resolveIdentity(sql, 'local', LOCAL_OWNER_NAME, via);
  if (existing) return existing;
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext('vmesh.local-owner'))`;
    const again =
      await tx`select 1 from user_identities where provider = 'local' and subject = ${LOCAL_OWNER_NAME}`;
    if (again.length > 0) return;
    const taken =
      await tx`select 1 from users where workspace_id = ${DEFAULT_WORKSPACE} and name = ${LOCAL_OWNER_NAME}`;
    const user = await createUser(tx, {
      name: taken.length > 0 ? `owner-${randomBytes(3).toString('hex')}` : LOCAL_OWNER_NAME,
      role: 'owner',
    });
    await linkIdentity(tx, user.id, 'local', LOCAL_OWNER_NAME);
  });
  const made = await resolveIdentity(sql, 'local', LOCAL_OWNER_NAME, via);
  if (!made) throw new Error('The local owner could not be created.');
  return made;
}

function unknownUser(idOrName: string): AppError {
  return new AppError({
    code: 'E_NOT_FOUND',
    message: `No user "${idOrName}".`,
    hint: 'List them with `vmesh users list`.',
  });
}
