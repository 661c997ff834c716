import { registerSecret, registerSecretsIn } from '../../lib/index.ts';
import type { CredentialDefinition } from './define.ts';

/**
 * Registers with the redactor everything a credential can show on the wire: each of its string fields (but
 * the `publicFields` its type names) and
 * the forms its type declares in `wireSecrets` (e.g. `Basic base64(user:password)`). Call it wherever a
 * credential is decrypted or used.
 */
export function registerCredentialSecrets(
  definition: CredentialDefinition | undefined,
  secret: unknown,
): void {
  const publicFields = new Set(definition?.publicFields ?? []);
  if (secret && typeof secret === 'object' && !Array.isArray(secret) && publicFields.size > 0) {
    for (const [key, value] of Object.entries(secret)) {
      if (!publicFields.has(key)) registerSecretsIn(value);
      else if (typeof value === 'string') for (const form of urlUserinfoSecrets(value)) registerSecret(form);
    }
  } else registerSecretsIn(secret);
  if (!definition?.wireSecrets) return;
  const parsed = definition.schema.safeParse(secret);
  if (!parsed.success) return;
  for (const form of definition.wireSecrets(parsed.data)) registerSecret(form);
}

/** `user:password` as it goes on the wire: the pair, its base64, the `Basic` header value and the URL userinfo. */
export function basicAuthWireSecrets(user: string, password: string): string[] {
  const pair = `${user}:${password}`;
  const base64 = Buffer.from(pair).toString('base64');
  return [pair, base64, `Basic ${base64}`, `${encodeURIComponent(user)}:${encodeURIComponent(password)}`];
}

/** A token sent as `<scheme> <token>` in an Authorization header. */
export function authorizationWireSecrets(token: string, schemes: readonly string[]): string[] {
  return schemes.map((scheme) => `${scheme} ${token}`);
}

/** A setting that is a URL can still carry a password (`https://user:pass@host`): that part is a secret. */
function urlUserinfoSecrets(value: string): string[] {
  if (!value.includes('@') || !value.includes('://')) return [];
  try {
    const url = new URL(value);
    if (!url.password) return [];
    const password = decodeURIComponent(url.password);
    return [url.password, password, ...basicAuthWireSecrets(decodeURIComponent(url.username), password)];
  } catch {
    return [];
  }
}
