import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Sql } from '../../db/index.ts';
import { AppError, ValidationError } from '../../lib/index.ts';
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
export type CredentialSummary = { name: string; type: string; createdAt: Date; updatedAt: Date };

export type CredentialStore = {
  /** Creates or replaces the credential NAME. The secret is validated when TYPE is a known credential type. */
  set(name: string, type: string, secret: unknown): Promise<void>;
  /** Decrypts NAME and registers its string values and wire forms with the redactor; undefined when there is none. */
  get(name: string): Promise<StoredCredential | undefined>;
  /** Names and types only: never the secrets. */
  list(): Promise<CredentialSummary[]>;
  /** True when something was deleted. */
  delete(name: string): Promise<boolean>;
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
    async set(name, type, secret) {
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
        const [existing] = await tx`select id from credentials where name = ${name} for update`;
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
            insert into credentials (id, name, type, key_id, iv, ciphertext, auth_tag)
            values (${id}, ${name}, ${type}, ${sealed.keyId}, ${sealed.iv}, ${sealed.ciphertext}, ${sealed.authTag})`;
        }
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
      const rows = await sql`select name, type, created_at, updated_at from credentials order by name`;
      return rows.map((row) => ({
        name: String(row.name),
        type: String(row.type),
        createdAt: row.createdAt as Date,
        updatedAt: row.updatedAt as Date,
      }));
    },

    async delete(name) {
      const rows = await sql`delete from credentials where name = ${name} returning id`;
      return rows.length > 0;
    },
  };
}

/** The credential types the given connectors declare (first declaration of a type wins). */
export function credentialTypesOf(
  connectors: readonly { credential?: CredentialDefinition | undefined }[],
): CredentialDefinition[] {
  const seen = new Map<string, CredentialDefinition>();
  for (const connector of connectors) {
    if (connector.credential && !seen.has(connector.credential.type))
      seen.set(connector.credential.type, connector.credential);
  }
  return [...seen.values()];
}
