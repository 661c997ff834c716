import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { audit, mayManageCredential, type Principal } from '../../access/index.ts';
import type { Sql, TransactionSql } from '../../db/index.ts';
import { AppError, ForbiddenError, NotFoundError, ValidationError } from '../../lib/index.ts';
import { describeIssues } from '../invoke.ts';
import { registerCredentialSecrets } from '../sdk/credential-secrets.ts';
import type { CredentialDefinition } from '../sdk/define.ts';
import { openSealed, sealSecret } from './cipher.ts';
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
export type CredentialSummary = {
  name: string;
  type: string;
  createdAt: Date;
  updatedAt: Date;
  ownerId: string | null;
  ownerName: string | null;
  scope: CredentialScope;
};

export type CredentialStore = {
  /**
   * Creates or replaces the credential NAME. The secret is validated when TYPE is a known credential type. A new
   * credential set `by` somebody is theirs and private; without `by` (tests, tooling) it has no owner and is shared.
   * Replacing another person's credential needs `credential.manage_all`.
   */
  set(name: string, type: string, secret: unknown, by?: Principal): Promise<void>;
  /** Decrypts NAME and registers its string values and wire forms with the redactor; undefined when there is none. */
  get(name: string): Promise<StoredCredential | undefined>;
  /** Names, types, owners and scopes only: never the secrets. */
  list(): Promise<CredentialSummary[]>;
  /** True when something was deleted. */
  delete(name: string, by?: Principal): Promise<boolean>;
  /** Shares NAME with the workspace or makes it private again (its owner, or `credential.manage_all`). */
  share(name: string, scope: CredentialScope, by: Principal): Promise<CredentialSummary>;
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
}): CredentialStore {
  const { sql, key } = options;
  const types = new Map((options.types ?? []).map((definition) => [definition.type, definition]));

  return {
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
      await sql.begin(async (tx) => {
        const [existing] = await tx`select id, owner_id from credentials where name = ${name} for update`;
        if (existing && by) assertMayManage(by, name, existing.ownerId);
        const id = existing ? String(existing.id) : randomUUID();
        const sealed = sealSecret(key, plaintext, id);
        if (existing) {
          await tx`
            update credentials
            set type = ${type}, key_id = ${sealed.keyId}, iv = ${sealed.iv}, ciphertext = ${sealed.ciphertext},
                auth_tag = ${sealed.authTag}, updated_at = now()
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
      });
    },

    async get(name) {
      const [row] = await sql`
        select id, name, type, key_id, iv, ciphertext, auth_tag from credentials where name = ${name}`;
      if (!row) return undefined;
      const sealed = SealedRow.parse(row);
      const plaintext = openSealed(key, sealed, sealed.id, sealed.name);
      let secret: unknown;
      try {
        secret = JSON.parse(plaintext);
      } catch (error) {
        throw new AppError({
          code: 'E_CREDENTIAL_TAMPERED',
          message: `Credential "${name}" decrypted to something that is not JSON.`,
          hint: 'Store the credential again with `vmesh credentials set`.',
          cause: error,
        });
      }
      registerCredentialSecrets(types.get(sealed.type), secret);
      return { name: sealed.name, type: sealed.type, secret };
    },

    async list() {
      const rows = await sql`
        select c.name, c.type, c.created_at, c.updated_at, c.owner_id, c.scope, o.name as owner_name
        from credentials c left join users o on o.id = c.owner_id order by c.name`;
      return rows.map(toSummary);
    },

    async delete(name, by) {
      return sql.begin(async (tx) => {
        const [existing] = await tx`select owner_id from credentials where name = ${name} for update`;
        if (!existing) return false;
        if (by) assertMayManage(by, name, existing.ownerId);
        await tx`delete from credentials where name = ${name}`;
        await audit(tx, {
          principal: by,
          action: 'credential.deleted',
          subjectType: 'credential',
          subjectId: name,
        });
        return true;
      });
    },

    async share(name, scope, by) {
      return sql.begin(async (tx) => {
        const [existing] = await tx`select owner_id, scope from credentials where name = ${name} for update`;
        if (!existing)
          throw new NotFoundError({
            code: 'E_NOT_FOUND',
            message: `No credential named "${name}".`,
            hint: 'See `vmesh credentials list`.',
          });
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

function assertMayManage(by: Principal, name: string, ownerId: unknown): void {
  if (mayManageCredential(by, ownerId === null || ownerId === undefined ? null : String(ownerId))) return;
  throw new ForbiddenError({
    code: 'E_FORBIDDEN',
    message: `${by.name} (${by.role}) may not change the credential "${name}": it belongs to somebody else.`,
    hint: 'Ask its owner or an admin, or store a credential under a name of your own.',
    details: { credential: name },
  });
}

function toSummary(row: Record<string, unknown>): CredentialSummary {
  return {
    name: String(row.name),
    type: String(row.type),
    createdAt: row.createdAt as Date,
    updatedAt: row.updatedAt as Date,
    ownerId: row.ownerId === null ? null : String(row.ownerId),
    ownerName: row.ownerName === null ? null : String(row.ownerName),
    scope: row.scope === 'private' ? 'private' : 'workspace',
  };
}

async function summaryOf(sql: Sql | TransactionSql, name: string): Promise<CredentialSummary> {
  const [row] = await sql`
    select c.name, c.type, c.created_at, c.updated_at, c.owner_id, c.scope, o.name as owner_name
    from credentials c left join users o on o.id = c.owner_id where c.name = ${name}`;
  if (!row) throw new Error(`credential ${name} vanished`);
  return toSummary(row);
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
