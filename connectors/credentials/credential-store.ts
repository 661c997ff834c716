import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { audit, mayManageCredential, type Principal } from '../../access/index.ts';
import type { Sql, TransactionSql } from '../../db/index.ts';
import {
  AppError,
  ConflictError,
  ForbiddenError,
  type Logger,
  NotFoundError,
  redactString,
  ValidationError,
} from '../../lib/index.ts';
import { describeIssues } from '../invoke.ts';
import { registerCredentialSecrets } from '../sdk/credential-secrets.ts';
import type { CredentialDefinition } from '../sdk/define.ts';
import { openSealed, sealSecret } from './cipher.ts';
import { type CredentialLogDetails, type CredentialLogEvent, logCredentialEvent } from './credential-log.ts';
import type { SecretKey } from './secret-key.ts';

export const CredentialName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
    'letters, digits, `_`, `.` and `-`, at most 64, starting with a letter or digit',
  );
export const CredentialType = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,63}$/, 'lower-case letters, digits, `_` and `-`, starting with a letter');

export type StoredCredential = { name: string; type: string; secret: unknown };
/** 'private': usable by its owner (and admins); 'workspace': shared, usable in everybody's workflows. */
export type CredentialScope = 'private' | 'workspace';
/** 'needs_reconnect': the vendor refused it (revoked, scopes changed); 'expired': past its expiry. */
export const CredentialState = z.enum(['connected', 'needs_reconnect', 'expired']);
export type CredentialState = z.infer<typeof CredentialState>;
export type CredentialSummary = {
  name: string;
  type: string;
  createdAt: Date;
  updatedAt: Date;
  ownerId: string | null;
  ownerName: string | null;
  scope: CredentialScope;
  state: CredentialState;
  /** Why it is not connected, redacted; null when connected. */
  stateReason: string | null;
  /** When a step or trigger last decrypted it (to the minute); null: never. */
  lastUsedAt: Date | null;
};

export type CredentialStore = {
  /**
   * Creates or replaces the credential NAME. The secret is validated when TYPE is a known credential type. A new
   * credential set `by` somebody is theirs and private; without `by` (tests, tooling) it has no owner and is shared.
   * Replacing another person's credential needs `credential.manage_all`. A new secret is `connected` again.
   */
  set(name: string, type: string, secret: unknown, by?: Principal): Promise<void>;
  /**
   * Decrypts NAME and registers its string values and wire forms with the redactor; undefined when there is none.
   * Records the use (`lastUsedAt`, at most once a minute per credential) unless `recordUse` is false.
   */
  get(name: string, options?: { recordUse?: boolean }): Promise<StoredCredential | undefined>;
  /** Names, types, owners, scopes and states only: never the secrets. */
  list(): Promise<CredentialSummary[]>;
  /** One credential's summary; undefined when there is none. */
  summary(name: string): Promise<CredentialSummary | undefined>;
  /** True when something was deleted. `auditDetails` go into the `credential.deleted` entry. */
  delete(name: string, by?: Principal, auditDetails?: Record<string, unknown>): Promise<boolean>;
  /**
   * Renames FROM to TO (its owner, or `credential.manage_all`). The secret stays sealed to the credential's id, so
   * it is not re-encrypted. Workflows that name FROM are not changed: the caller decides about them.
   */
  rename(
    from: string,
    to: string,
    by?: Principal,
    auditDetails?: Record<string, unknown>,
  ): Promise<CredentialSummary>;
  /** Records whether the credential still works (the reason is redacted before it is stored). */
  setState(name: string, state: CredentialState, reason?: string): Promise<void>;
  /** Shares NAME with the workspace or makes it private again (its owner, or `credential.manage_all`). */
  share(name: string, scope: CredentialScope, by: Principal): Promise<CredentialSummary>;
  /**
   * Reads NAME and lets `change` replace its secret, in one transaction under a per-credential advisory lock: two
   * workers renewing one token take turns, and the second reads what the first stored. `change` returns its
   * result and the new secret (undefined: unchanged); a new secret makes the credential `connected`.
   */
  updateLocked<T>(
    name: string,
    change: (current: StoredCredential) => Promise<{ result: T; secret?: unknown }>,
  ): Promise<T>;
};

const SealedRow = z.object({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  keyId: z.string(),
  iv: z.instanceof(Buffer),
  ciphertext: z.instanceof(Buffer),
  authTag: z.instanceof(Buffer),
});

function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ValidationError({
      code: 'E_CREDENTIAL',
      message: `Invalid ${what}: ${describeIssues(parsed.error.issues)}`,
      hint: `Choose a ${what} that matches the rule in the message.`,
    });
  }
  return parsed.data;
}

/**
 * Credentials in Postgres, encrypted with AES-256-GCM under `key` (never stored in the database).
 * `types` are the known credential types (from the connectors); a secret of a known type is checked
 * against its schema before it is stored.
 */
export function createCredentialStore(options: {
  sql: Sql;
  key: SecretKey;
  types?: readonly CredentialDefinition[];
  /** The server's log: a line per credential created, updated, renamed or deleted (the CLI prints its own). */
  log?: Logger | undefined;
}): CredentialStore {
  const { sql, key } = options;
  const logEvent = (event: CredentialLogEvent, name: string, details?: CredentialLogDetails) =>
    logCredentialEvent(options.log, event, name, details);
  const types = new Map((options.types ?? []).map((definition) => [definition.type, definition]));

  const open = (sealed: z.output<typeof SealedRow>): unknown => {
    const plaintext = openSealed(key, sealed, sealed.id, sealed.name);
    let secret: unknown;
    try {
      secret = JSON.parse(plaintext);
    } catch (error) {
      throw new AppError({
        code: 'E_CREDENTIAL_TAMPERED',
        message: `Credential "${sealed.name}" decrypted to something that is not JSON.`,
        hint: 'Store the credential again with `vmesh credentials set`.',
        cause: error,
      });
    }
    registerCredentialSecrets(types.get(sealed.type), secret);
    return secret;
  };

  return {
    async updateLocked(name, change) {
      // Boxed: sql.begin unwraps an array result's promises, which a generic T cannot be typed through.
      const boxed = await sql.begin(async (tx) => {
        await tx`select pg_advisory_xact_lock(hashtextextended(${`vmesh.credential:${name}`}, 0))`;
        const [row] = await tx`
          select id, name, type, key_id, iv, ciphertext, auth_tag from credentials where name = ${name} for update`;
        if (!row) throw credentialNotFound(name);
        const sealed = SealedRow.parse(row);
        const changed = await change({ name: sealed.name, type: sealed.type, secret: open(sealed) });
        if (changed.secret !== undefined) {
          const definition = types.get(sealed.type);
          const parsed = definition?.schema.safeParse(changed.secret);
          if (parsed && !parsed.success)
            throw new ValidationError({
              code: 'E_CREDENTIAL',
              message: `The new secret is not a valid "${sealed.type}" credential: ${describeIssues(parsed.error.issues)}`,
              hint: definition?.howToGet ?? 'Store it again.',
            });
          registerCredentialSecrets(definition, changed.secret);
          const next = sealSecret(key, JSON.stringify(changed.secret), sealed.id);
          await tx`
            update credentials
            set key_id = ${next.keyId}, iv = ${next.iv}, ciphertext = ${next.ciphertext}, auth_tag = ${next.authTag},
                state = 'connected', state_reason = null, updated_at = now()
            where id = ${sealed.id}`;
        }
        return { value: changed.result };
      });
      return boxed.value;
    },

    async set(name, type, secret, by) {
      parseOrThrow(CredentialName, name, 'credential name');
      parseOrThrow(CredentialType, type, 'credential type');
      const definition = types.get(type);
      if (definition) {
        const parsed = definition.schema.safeParse(secret);
        if (!parsed.success) {
          throw new ValidationError({
            code: 'E_CREDENTIAL',
            message: `The secret is not a valid "${type}" credential: ${describeIssues(parsed.error.issues)}`,
            hint: definition.howToGet,
          });
        }
      }
      const plaintext = JSON.stringify(secret);
      if (plaintext === undefined) {
        throw new ValidationError({
          code: 'E_CREDENTIAL',
          message: 'The secret must be JSON.',
          hint: 'Give a JSON object or a token string.',
        });
      }
      const replaced = await sql.begin(async (tx) => {
        const [existing] = await tx`select id, owner_id from credentials where name = ${name} for update`;
        if (existing && by) assertMayManage(by, name, existing.ownerId);
        const id = existing ? String(existing.id) : randomUUID();
        const sealed = sealSecret(key, plaintext, id);
        if (existing) {
          await tx`
            update credentials
            set type = ${type}, key_id = ${sealed.keyId}, iv = ${sealed.iv}, ciphertext = ${sealed.ciphertext},
                auth_tag = ${sealed.authTag}, state = 'connected', state_reason = null, updated_at = now()
            where id = ${id}`;
        } else {
          await tx`
            insert into credentials (id, name, type, key_id, iv, ciphertext, auth_tag, owner_id, scope)
            values (${id}, ${name}, ${type}, ${sealed.keyId}, ${sealed.iv}, ${sealed.ciphertext}, ${sealed.authTag},
              ${by?.userId ?? null}, ${by ? 'private' : 'workspace'})`;
        }
        await audit(tx, {
          principal: by,
          action: 'credential.set',
          subjectType: 'credential',
          subjectId: name,
          details: { type, replaced: Boolean(existing) },
        });
        return Boolean(existing);
      });
      logEvent(replaced ? 'updated' : 'created', name, { type, by: by?.userId });
    },

    async get(name, options = {}) {
      const [row] = await sql`
        select id, name, type, key_id, iv, ciphertext, auth_tag from credentials where name = ${name}`;
      if (!row) return undefined;
      const sealed = SealedRow.parse(row);
      const secret = open(sealed);
      // One write a minute at most, however many steps decrypt it.
      if (options.recordUse !== false)
        await sql`
          update credentials set last_used_at = now()
          where id = ${sealed.id} and (last_used_at is null or last_used_at < now() - interval '1 minute')`;
      return { name: sealed.name, type: sealed.type, secret };
    },

    async list() {
      const rows = await sql`
        select ${sql(SUMMARY_COLUMNS)}, o.name as owner_name
        from credentials c left join users o on o.id = c.owner_id order by c.name`;
      return rows.map(toSummary);
    },

    async summary(name) {
      return findSummary(sql, name);
    },

    async rename(from, to, by, auditDetails) {
      parseOrThrow(CredentialName, to, 'credential name');
      const renamed = await sql.begin(async (tx) => {
        const [existing] = await tx`select owner_id from credentials where name = ${from} for update`;
        if (!existing) throw credentialNotFound(from);
        if (by) assertMayManage(by, from, existing.ownerId);
        const [taken] = await tx`select 1 from credentials where name = ${to}`;
        if (taken)
          throw new ConflictError({
            code: 'E_CREDENTIAL_EXISTS',
            message: `A credential named "${to}" exists already.`,
            hint: 'Choose another name, or delete that credential first.',
            details: { credential: to },
          });
        await tx`update credentials set name = ${to}, updated_at = now() where name = ${from}`;
        await audit(tx, {
          principal: by,
          action: 'credential.renamed',
          subjectType: 'credential',
          subjectId: to,
          details: { from, to, ...auditDetails },
        });
        return summaryOf(tx, to);
      });
      logEvent('renamed', to, { from, by: by?.userId });
      return renamed;
    },

    async setState(name, state, reason) {
      const stored =
        state === 'connected' || reason === undefined ? null : redactString(reason).slice(0, 1000);
      await sql`update credentials set state = ${state}, state_reason = ${stored} where name = ${name}`;
    },

    async delete(name, by, auditDetails) {
      const deleted = await sql.begin(async (tx) => {
        const [existing] = await tx`select owner_id from credentials where name = ${name} for update`;
        if (!existing) return false;
        if (by) assertMayManage(by, name, existing.ownerId);
        await tx`delete from credentials where name = ${name}`;
        await audit(tx, {
          principal: by,
          action: 'credential.deleted',
          subjectType: 'credential',
          subjectId: name,
          ...(auditDetails ? { details: auditDetails } : {}),
        });
        return true;
      });
      if (deleted) logEvent('deleted', name, { by: by?.userId });
      return deleted;
    },

    async share(name, scope, by) {
      return sql.begin(async (tx) => {
        const [existing] = await tx`select owner_id, scope from credentials where name = ${name} for update`;
        if (!existing) throw credentialNotFound(name);
        assertMayManage(by, name, existing.ownerId);
        await tx`update credentials set scope = ${scope}, updated_at = now() where name = ${name}`;
        if (existing.scope !== scope)
          await audit(tx, {
            principal: by,
            action: scope === 'workspace' ? 'credential.shared' : 'credential.unshared',
            subjectType: 'credential',
            subjectId: name,
            details: { scope },
          });
        return summaryOf(tx, name);
      });
    },
  };
}

/** Throws E_FORBIDDEN unless `by` may change, rename or delete the credential NAME owned by `ownerId`. */
export function assertMayManage(by: Principal, name: string, ownerId: unknown): void {
  if (mayManageCredential(by, ownerId === null || ownerId === undefined ? null : String(ownerId))) return;
  throw new ForbiddenError({
    code: 'E_FORBIDDEN',
    message: `${by.name} (${by.role}) may not change the credential "${name}": it belongs to somebody else.`,
    hint: 'Ask its owner or an admin, or store a credential under a name of your own.',
    details: { credential: name },
  });
}

export function credentialNotFound(name: string): NotFoundError {
  return new NotFoundError({
    code: 'E_NOT_FOUND',
    message: `No credential named "${name}".`,
    hint: 'See `vmesh credentials list`.',
    details: { credential: name },
  });
}

const SUMMARY_COLUMNS = [
  'c.name',
  'c.type',
  'c.created_at',
  'c.updated_at',
  'c.owner_id',
  'c.scope',
  'c.state',
  'c.state_reason',
  'c.last_used_at',
];

function toSummary(row: Record<string, unknown>): CredentialSummary {
  const state = CredentialState.safeParse(row.state);
  return {
    name: String(row.name),
    type: String(row.type),
    createdAt: row.createdAt as Date,
    updatedAt: row.updatedAt as Date,
    ownerId: row.ownerId === null ? null : String(row.ownerId),
    ownerName: row.ownerName === null ? null : String(row.ownerName),
    scope: row.scope === 'private' ? 'private' : 'workspace',
    state: state.success ? state.data : 'connected',
    stateReason: typeof row.stateReason === 'string' ? row.stateReason : null,
    lastUsedAt: row.lastUsedAt instanceof Date ? row.lastUsedAt : null,
  };
}

async function findSummary(sql: Sql | TransactionSql, name: string): Promise<CredentialSummary | undefined> {
  const [row] = await sql`
    select ${sql(SUMMARY_COLUMNS)}, o.name as owner_name
    from credentials c left join users o on o.id = c.owner_id where c.name = ${name}`;
  return row ? toSummary(row) : undefined;
}

async function summaryOf(sql: Sql | TransactionSql, name: string): Promise<CredentialSummary> {
  const summary = await findSummary(sql, name);
  if (!summary) throw new Error(`credential ${name} vanished`);
  return summary;
}

/** The credential types the given connectors (with the alternatives they take) and their triggers declare (first declaration of a type wins). */
export function credentialTypesOf(
  connectors: readonly {
    credential?: CredentialDefinition | undefined;
    triggers?: readonly { credential?: CredentialDefinition | undefined }[];
  }[],
): CredentialDefinition[] {
  const seen = new Map<string, CredentialDefinition>();
  const declared = connectors.flatMap((connector) => [
    connector.credential,
    ...(connector.credential?.alternatives ?? []),
    ...(connector.triggers ?? []).map((trigger) => trigger.credential),
  ]);
  for (const definition of declared) {
    if (definition && !seen.has(definition.type)) seen.set(definition.type, definition);
  }
  return [...seen.values()];
}
