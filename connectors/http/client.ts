import { z } from 'zod';
import { authorizationWireSecrets, basicAuthWireSecrets } from '../sdk/credential-secrets.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';

export const HttpCredential = z.discriminatedUnion('scheme', [
  z.strictObject({
    scheme: z.literal('bearer').describe('Sends `Authorization: Bearer <token>`.'),
    token: z.string().min(1).describe('The bearer token.'),
  }),
  z.strictObject({
    scheme: z.literal('basic').describe('Sends `Authorization: Basic base64(username:password)`.'),
    username: z.string().describe('The user name.'),
    password: z.string().describe('The password.'),
  }),
  z.strictObject({
    scheme: z.literal('header').describe('Sends one custom header, e.g. `X-Api-Key`.'),
    name: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,64}$/, 'a header name: letters, digits and dashes')
      .describe('The header name.'),
    value: z.string().min(1).describe('The header value.'),
  }),
]);
export type HttpCredential = z.infer<typeof HttpCredential>;

export type HttpClient = {
  fetch: typeof fetch;
  /** Headers the credential adds to every request (empty without a credential). */
  authHeaders: Record<string, string>;
};

export function toAuthHeaders(credential: HttpCredential | undefined): Record<string, string> {
  if (!credential) return {};
  switch (credential.scheme) {
    case 'bearer':
      return { authorization: `Bearer ${credential.token}` };
    case 'basic':
      return {
        authorization: `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`,
      };
    case 'header':
      return { [credential.name.toLowerCase()]: credential.value };
  }
}

/** What an http credential puts on the wire (registered with the redactor). */
export function httpWireSecrets(credential: HttpCredential): string[] {
  switch (credential.scheme) {
    case 'bearer':
      return authorizationWireSecrets(credential.token, ['Bearer']);
    case 'basic':
      return basicAuthWireSecrets(credential.username, credential.password);
    case 'header':
      return [credential.value];
  }
}

export function createHttpClient(options: {
  credential: HttpCredential | undefined;
  env: ConnectorEnvironment;
}): HttpClient {
  return { fetch: options.env.fetch, authHeaders: toAuthHeaders(options.credential) };
}
