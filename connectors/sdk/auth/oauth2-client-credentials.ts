import { z } from 'zod';
import { basicAuthWireSecrets } from '../credential-secrets.ts';
import type { AuthContext } from './auth-style.ts';
import { defineAuthStyle } from './auth-style.ts';
import { accessToken, tokenCacheKey } from './token-endpoint.ts';

export const OAuth2ClientCredentials = z.strictObject({
  tokenUrl: z.url({ protocol: /^https?$/ }).describe('The OAuth2 token endpoint.'),
  clientId: z.string().min(1).describe('The client id.'),
  clientSecret: z.string().min(1).describe('The client secret.'),
  scopes: z.array(z.string().min(1)).optional().describe('Scopes to ask for (sent space-separated).'),
  audience: z.string().min(1).optional().describe('The `audience` some providers want (Auth0).'),
  clientAuth: z
    .enum(['basic', 'body'])
    .default('basic')
    .describe(
      'How the client authenticates: `basic` (HTTP Basic, RFC 6749 §2.3.1, default) or `body` (client_id and client_secret in the form).',
    ),
});
export type OAuth2ClientCredentials = z.output<typeof OAuth2ClientCredentials>;

/** RFC 6749 §2.3.1: the client id and secret are form-encoded before they are joined for Basic. */
const formEncode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');

function clientCredentialsToken(credential: OAuth2ClientCredentials, ctx: AuthContext): Promise<string> {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (credential.scopes?.length) form.set('scope', credential.scopes.join(' '));
  if (credential.audience) form.set('audience', credential.audience);
  const headers: Record<string, string> = {};
  if (credential.clientAuth === 'body') {
    form.set('client_id', credential.clientId);
    form.set('client_secret', credential.clientSecret);
  } else {
    const pair = `${formEncode(credential.clientId)}:${formEncode(credential.clientSecret)}`;
    headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
  }
  const key = tokenCacheKey([
    'client_credentials',
    credential.tokenUrl,
    credential.clientId,
    credential.clientSecret,
    credential.scopes ?? [],
    credential.audience ?? '',
  ]);
  return accessToken(
    key,
    { tokenUrl: credential.tokenUrl, form, headers, what: 'client credentials grant' },
    ctx,
  );
}

export const oauth2ClientCredentialsStyle = defineAuthStyle({
  type: 'oauth2-client-credentials',
  title: 'OAuth2 client credentials',
  schema: OAuth2ClientCredentials,
  howToGet:
    'The client id and secret of an app registered for the client credentials grant, and its token endpoint: {"tokenUrl":"https://auth.example.com/oauth/token","clientId":"…","clientSecret":"…","scopes":["read"]}. Access tokens are fetched when needed and kept in memory until shortly before they expire.',
  publicFields: ['tokenUrl', 'clientId', 'scopes', 'audience', 'clientAuth'],
  wireSecrets: (credential) => [
    ...basicAuthWireSecrets(credential.clientId, credential.clientSecret),
    ...basicAuthWireSecrets(formEncode(credential.clientId), formEncode(credential.clientSecret)),
    formEncode(credential.clientSecret),
  ],
  async apply(request, credential, ctx) {
    const token = await clientCredentialsToken(credential, ctx);
    const headers = new Headers(request.headers);
    headers.set('authorization', `Bearer ${token}`);
    return { ...request, headers };
  },
  async test(credential, ctx) {
    await clientCredentialsToken(credential, ctx);
  },
});
