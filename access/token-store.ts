import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Sql, TransactionSql } from '../db/index.ts';
import { AppError, ForbiddenError, NotFoundError, ValidationError } from '../lib/index.ts';
import { audit } from './audit.ts';
import { allows, type FrontEnd, type Principal } from './principal.ts';
import { atLeast, Permission, permissionsOf, Role } from './roles.ts';

type Db = Sql | TransactionSql;

/** `vmt_<id>_<secret>`: the id finds the row, the secret (32 random bytes, base64url) proves the holder. */
const TOKEN_PATTERN = /^vmt_(tok_[A-Za-z0-9-]{12})_([A-Za-z0-9_-]{43})$/;
export const TOKEN_PREFIX = 'vmt_';
/** `last_used_at` is written at most this often per token, not on every request. */
const LAST_USED_EVERY_MS = 60_000;

export const TokenName = z.string().trim().min(1).max(100);

const TokenRow = z.object({
  id: z.string(),
  userId: z.string(),
  userName: z.string(),
  name: z.string(),
  scopes: z.array(Permission).nullable(),
  mayApprove: z.boolean(),
  createdAt: z.date(),
  expiresAt: z.date().nullable(),
  lastUsedAt: z.date().nullable(),
  revokedAt: z.date().nullable(),
});
/** A token as listed: never its secret or its hash. */
export type ApiToken = z.infer<typeof TokenRow>;

const TOKEN_COLUMNS = sqlColumns();
function sqlColumns(): string[] {
  return [
    't.id',
    't.user_id',
    'u.name as user_name',
    't.name',
    't.scopes',
    't.may_approve',
    't.created_at',
    't.expires_at',
    't.last_used_at',
    't.revoked_at',
  ];
}

const digest = (secret: string) => createHash('sha256').update(secret).digest();

function newTokenId(): string {
  // 9 bytes → 12 base64url characters; `_` is the separator of the token string, so it is not used in ids.
  return `tok_${randomBytes(9).toString('base64url').replaceAll('_', '-')}`;
}

/**
 * Mints a token for `input.userId` on behalf of `by`. A token never gets a permission its user's role lacks, nor
 * one the minting principal lacks (a scoped token cannot mint a wider one); only admins set `mayApprove`.
 * Returns the token string, which is shown once and never stored.
 */
export async function createToken(
  sql: Sql,
  by: Principal,
  input: {
    userId: string;
    name: string;
    scopes?: readonly string[] | undefined;
    expiresAt?: Date | undefined;
    mayApprove?: boolean | undefined;
  },
): Promise<{ token: string; info: ApiToken }> {
  const name = TokenName.safeParse(input.name);
  if (!name.success) {
    throw new ValidationError({
      code: 'E_TOKEN',
      message: 'A token name is 1 to 100 characters.',
      hint: 'Give the token a label, e.g. --name ci.',
    });
  }
  const [owner] = await sql`select id, role, disabled_at from users where id = ${input.userId}`;
  if (!owner) throw unknownToken(input.userId, 'user');
  if (owner.disabledAt) {
    throw new AppError({
      code: 'E_USER_DISABLED',
      message: 'That user is disabled; a token for them would not work.',
      hint: 'Enable the user first (`vmesh users enable`).',
    });
  }
  const role = Role.parse(owner.role);
  if (input.userId !== by.userId && !allows(by, 'token.manage_all')) throw mayNot(by, 'token.manage_all');
  // A token acts with its user's role (visibility, `role:` approvers), so nobody mints one for a higher role.
  if (input.userId !== by.userId && !atLeast(by.role, role)) {
    throw new ForbiddenError({
      code: 'E_FORBIDDEN',
      message: `${by.name} (${by.role}) may not mint a token for a ${role}.`,
      hint: 'Ask somebody with that role to mint it.',
    });
  }
  const scopes = input.scopes === undefined ? undefined : [...new Set(input.scopes)];
  for (const scope of scopes ?? []) {
    if (!Permission.safeParse(scope).success) {
      throw new ValidationError({
        code: 'E_TOKEN',
        message: `"${scope}" is not a permission.`,
        hint: 'List the permissions with `vmesh users roles`.',
      });
    }
  }
  const wanted = (scopes ?? [...permissionsOf(role)]) as Permission[];
  const beyondRole = wanted.filter((p) => !permissionsOf(role).has(p));
  if (scopes !== undefined && beyondRole.length > 0) {
    throw new ForbiddenError({
      code: 'E_FORBIDDEN',
      message: `A ${role}'s token cannot have ${beyondRole.join(', ')}: the role lacks it.`,
      hint: 'Ask only for scopes the role holds (`vmesh users roles`).',
      details: { scopes: beyondRole },
    });
  }
  const beyondMinter = wanted.filter((p) => !allows(by, p));
  if (beyondMinter.length > 0) {
    throw new ForbiddenError({
      code: 'E_FORBIDDEN',
      message: `You cannot mint a token with ${beyondMinter.join(', ')}: you do not hold it yourself.`,
      hint: 'Give --scope with permissions you hold, or mint it with a wider credential.',
      details: { scopes: beyondMinter },
    });
  }
  if (input.mayApprove && !allows(by, 'token.manage_all')) {
    throw new ForbiddenError({
      code: 'E_FORBIDDEN',
      message: 'Only an admin may let a token approve proposals without a human.',
      hint: 'Leave out may-approve, or ask an admin to mint the token.',
    });
  }
  if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) {
    throw new ValidationError({
      code: 'E_TOKEN',
      message: 'The expiry is in the past.',
      hint: 'Give a future time, e.g. --expires-in 30d.',
    });
  }
  const id = newTokenId();
  const secret = randomBytes(32).toString('base64url');
  await sql`
    insert into api_tokens (id, user_id, name, secret_hash, scopes, may_approve, expires_at)
    values (${id}, ${input.userId}, ${name.data}, ${digest(secret)}, ${scopes ? sql.array(scopes) : null},
      ${input.mayApprove ?? false}, ${input.expiresAt ?? null})`;
  const info = await getToken(sql, id);
  await audit(sql, {
    principal: by,
    action: 'token.created',
    subjectType: 'token',
    subjectId: id,
    details: {
      name: name.data,
      userId: input.userId,
      scopes: scopes ?? null,
      mayApprove: input.mayApprove ?? false,
      expiresAt: input.expiresAt?.toISOString() ?? null,
    },
  });
  return { token: `${TOKEN_PREFIX}${id}_${secret}`, info };
}

async function getToken(sql: Db, id: string): Promise<ApiToken> {
  const [row] = await sql`
    select ${sql.unsafe(TOKEN_COLUMNS.join(', '))} from api_tokens t join users u on u.id = t.user_id
    where t.id = ${id}`;
  if (!row) throw unknownToken(id, 'token');
  return TokenRow.parse(row);
}

/** Tokens, newest last; one user's when `userId` is given. */
export async function listTokens(
  sql: Db,
  options: { userId?: string | undefined } = {},
): Promise<ApiToken[]> {
  const rows = await sql`
    select ${sql.unsafe(TOKEN_COLUMNS.join(', '))} from api_tokens t join users u on u.id = t.user_id
    where (${options.userId ?? null}::text is null or t.user_id = ${options.userId ?? null})
    order by t.created_at, t.id`;
  return rows.map((row) => TokenRow.parse(row));
}

/** Revokes a token (its own user's, or anyone's with `token.manage_all`); a token unknown to `by` is a 404. */
export async function revokeToken(sql: Sql, by: Principal, id: string): Promise<ApiToken> {
  const [row] = await sql`select user_id from api_tokens where id = ${id}`;
  if (!row || (row.userId !== by.userId && !allows(by, 'token.manage_all'))) throw unknownToken(id, 'token');
  await sql`update api_tokens set revoked_at = coalesce(revoked_at, now()) where id = ${id}`;
  await audit(sql, {
    principal: by,
    action: 'token.revoked',
    subjectType: 'token',
    subjectId: id,
    details: { userId: String(row.userId) },
  });
  return getToken(sql, id);
}

/**
 * The person holding `token`, or `'invalid'` for a `vmt_` token that is malformed, unknown, revoked, expired or
 * whose user is disabled; `undefined` for anything that is not a `vmt_` token (another resolver's business).
 */
export async function resolveToken(
  sql: Sql,
  token: string,
  via: FrontEnd,
): Promise<Principal | 'invalid' | undefined> {
  if (!token.startsWith(TOKEN_PREFIX)) return undefined;
  const match = TOKEN_PATTERN.exec(token);
  if (!match) return 'invalid';
  const [, id, secret] = match as unknown as [string, string, string];
  const [row] = await sql`
    select t.secret_hash, t.scopes, t.may_approve, t.last_used_at, u.id as user_id, u.workspace_id, u.name, u.role
    from api_tokens t join users u on u.id = t.user_id
    where t.id = ${id} and t.revoked_at is null and (t.expires_at is null or t.expires_at > now())
      and u.disabled_at is null`;
  if (!row) return 'invalid';
  const stored = Buffer.from(row.secretHash as Uint8Array);
  if (stored.length !== 32 || !timingSafeEqual(stored, digest(secret))) return 'invalid';
  const lastUsed = row.lastUsedAt as Date | null;
  if (!lastUsed || Date.now() - lastUsed.getTime() > LAST_USED_EVERY_MS) {
    await sql`update api_tokens set last_used_at = now() where id = ${id}
      and (last_used_at is null or last_used_at < now() - interval '1 minute')`;
  }
  const scopes = row.scopes === null ? undefined : z.array(Permission).parse(row.scopes);
  return {
    userId: String(row.userId),
    workspaceId: String(row.workspaceId),
    name: String(row.name),
    role: Role.parse(row.role),
    via,
    identity: `token:${id}`,
    ...(scopes ? { scopes } : {}),
    tokenMayApprove: row.mayApprove === true,
  };
}

/** `30d`, `12h`, `90m`, `3600s` → milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d{1,6})([smhd])$/.exec(text.trim());
  if (!match) {
    throw new ValidationError({
      code: 'E_TOKEN',
      message: `"${text}" is not a duration.`,
      hint: 'Write a number and a unit: 90m, 12h, 30d.',
    });
  }
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

function mayNot(by: Principal, permission: Permission): ForbiddenError {
  return new ForbiddenError({
    code: 'E_FORBIDDEN',
    message: `${by.name} (${by.role}) may not manage other people's tokens.`,
    hint: 'Only admins (`token.manage_all`) mint and revoke tokens for others.',
    details: { permission },
  });
}

function unknownToken(id: string, what: 'token' | 'user'): NotFoundError {
  return new NotFoundError({
    code: 'E_NOT_FOUND',
    message: what === 'token' ? `No token "${id}".` : `No user "${id}".`,
    hint: what === 'token' ? 'List them with `vmesh tokens list`.' : 'List them with `vmesh users list`.',
  });
}
