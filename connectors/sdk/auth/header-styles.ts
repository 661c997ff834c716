import { z } from 'zod';
import { authorizationWireSecrets, basicAuthWireSecrets } from '../credential-secrets.ts';
import { defineAuthStyle } from './auth-style.ts';

const HeaderName = z
  .string()
  .regex(/^[A-Za-z0-9-]{1,64}$/, 'a header name: letters, digits and dashes')
  .describe('The header name, e.g. `X-Api-Key`.');

function withHeader<R extends { headers: Headers }>(request: R, name: string, value: string): R {
  const headers = new Headers(request.headers);
  headers.set(name, value);
  return { ...request, headers };
}

export const ApiKeyHeaderCredential = z.strictObject({
  name: HeaderName,
  value: z.string().min(1).describe('The key, sent as the header value.'),
});

export const apiKeyHeaderStyle = defineAuthStyle({
  type: 'api-key-header',
  title: 'API key in a header',
  schema: ApiKeyHeaderCredential,
  howToGet:
    'The API key from the service’s settings, and the header it goes in: {"name":"X-Api-Key","value":"…"}.',
  publicFields: ['name'],
  wireSecrets: (credential) => [credential.value],
  apply: async (request, credential) => withHeader(request, credential.name, credential.value),
});

export const BearerCredential = z.strictObject({
  token: z.string().min(1).describe('The token, sent as `Authorization: Bearer <token>`.'),
});

export const bearerStyle = defineAuthStyle({
  type: 'bearer',
  title: 'Bearer token',
  schema: BearerCredential,
  howToGet:
    'The access token or API token the service gives you: {"token":"…"} (or the bare token on stdin).',
  fromToken: (token) => ({ token }),
  wireSecrets: (credential) => authorizationWireSecrets(credential.token, ['Bearer']),
  apply: async (request, credential) => withHeader(request, 'authorization', `Bearer ${credential.token}`),
});

export const BasicCredential = z.strictObject({
  username: z.string().describe('The user name.'),
  password: z.string().describe('The password.'),
});

export const basicStyle = defineAuthStyle({
  type: 'basic',
  title: 'Basic auth',
  schema: BasicCredential,
  howToGet: 'A user name and password: {"username":"…","password":"…"}.',
  wireSecrets: (credential) => basicAuthWireSecrets(credential.username, credential.password),
  apply: async (request, credential) =>
    withHeader(
      request,
      'authorization',
      `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`,
    ),
});
