import { importPKCS8, SignJWT } from 'jose';
import { z } from 'zod';
import { ConnectorError } from '../connector-error.ts';
import type { AuthContext } from './auth-style.ts';
import { defineAuthStyle } from './auth-style.ts';
import { accessToken, tokenCacheKey } from './token-endpoint.ts';

const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Google accepts assertions valid for at most an hour. */
const ASSERTION_LIFETIME_S = 3600;

/** A service-account key file as Google's console downloads it, plus the scopes to ask for. */
export const GoogleServiceAccount = z.looseObject({
  type: z.literal('service_account').optional(),
  client_email: z.email().describe('The service account’s e-mail (`client_email` in the key file).'),
  private_key: z
    .string()
    .regex(/-----BEGIN PRIVATE KEY-----/, 'a PKCS#8 PEM key, as in the key file')
    .describe('The PEM private key (`private_key` in the key file).'),
  private_key_id: z.string().optional().describe('The key id, sent as the JWT `kid`.'),
  token_uri: z
    .url({ protocol: /^https?$/ })
    .default(GOOGLE_TOKEN_URI)
    .describe('The token endpoint (default https://oauth2.googleapis.com/token).'),
  scopes: z
    .array(z.string().min(1))
    .min(1)
    .describe('The OAuth scopes to ask for, e.g. ["https://www.googleapis.com/auth/spreadsheets"].'),
  subject: z.email().optional().describe('A user to act as (domain-wide delegation), sent as the JWT `sub`.'),
});
export type GoogleServiceAccount = z.output<typeof GoogleServiceAccount>;

/** The RFC 7523 assertion: signed RS256 with the key's private key, for the token endpoint as audience. */
export async function serviceAccountAssertion(credential: GoogleServiceAccount, now: Date): Promise<string> {
  let key: CryptoKey;
  try {
    key = await importPKCS8(credential.private_key, 'RS256');
  } catch (error) {
    throw new ConnectorError({
      code: 'E_CREDENTIAL',
      message: 'The service-account private_key is not an RSA PKCS#8 key.',
      retryable: false,
      hint: 'Store the key file exactly as Google downloaded it (JSON, with private_key and client_email).',
      cause: error,
    });
  }
  const issuedAt = Math.floor(now.getTime() / 1000);
  const jwt = new SignJWT({ scope: credential.scopes.join(' ') })
    .setProtectedHeader({
      alg: 'RS256',
      typ: 'JWT',
      ...(credential.private_key_id ? { kid: credential.private_key_id } : {}),
    })
    .setIssuer(credential.client_email)
    .setAudience(credential.token_uri)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + ASSERTION_LIFETIME_S);
  if (credential.subject) jwt.setSubject(credential.subject);
  return jwt.sign(key);
}

function pemBodyLines(pem: string): string[] {
  const lines = pem
    .split(/\r?\n|\\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('-----'));
  return [...lines, lines.join('')];
}

async function serviceAccountToken(credential: GoogleServiceAccount, ctx: AuthContext): Promise<string> {
  const key = tokenCacheKey([
    'jwt-bearer',
    credential.token_uri,
    credential.client_email,
    credential.private_key,
    credential.scopes,
    credential.subject ?? '',
  ]);
  const assertion = await serviceAccountAssertion(credential, ctx.now);
  const form = new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion });
  return accessToken(
    key,
    // A signed assertion is a bearer credential until it expires: a token endpoint that echoes it must not show it.
    { tokenUrl: credential.token_uri, form, sends: [assertion], what: 'service-account JWT bearer grant' },
    ctx,
  );
}

export const googleServiceAccountStyle = defineAuthStyle({
  type: 'google-service-account',
  title: 'Google service account',
  schema: GoogleServiceAccount,
  howToGet:
    'A service-account key: Google Cloud console → IAM & Admin → Service accounts → the account → Keys → Add key → JSON. Store the downloaded file with the scopes added: {…the key file…, "scopes":["https://www.googleapis.com/auth/spreadsheets"]}. Access tokens are fetched when needed (RFC 7523 JWT bearer grant) and kept in memory until shortly before they expire.',
  publicFields: [
    'type',
    'project_id',
    'client_email',
    'client_id',
    'private_key_id',
    'auth_uri',
    'token_uri',
    'auth_provider_x509_cert_url',
    'client_x509_cert_url',
    'universe_domain',
    'scopes',
    'subject',
  ],
  // The private key never goes on the wire (only assertions signed with it, which do not reveal it); its base64
  // lines are registered one by one, so a copy with its line breaks escaped (JSON in JSON) is still redacted.
  wireSecrets: (credential) => pemBodyLines(credential.private_key),
  async apply(request, credential, ctx) {
    const token = await serviceAccountToken(credential, ctx);
    const headers = new Headers(request.headers);
    headers.set('authorization', `Bearer ${token}`);
    return { ...request, headers };
  },
  async test(credential, ctx) {
    await serviceAccountToken(credential, ctx);
  },
});
