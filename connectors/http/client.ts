import { z } from 'zod';
import { apiKeyHeaderStyle, type BoundAuth, basicStyle, bearerStyle, bindAuth } from '../sdk/auth/index.ts';
import { authorizationWireSecrets, basicAuthWireSecrets } from '../sdk/credential-secrets.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';

/** The `http` credential type of before the auth styles: still stored and taken, mapped to the same styles. */
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
  /** The node's credential bound to its auth style; undefined without a credential. */
  auth: BoundAuth | undefined;
};

/** An `http` credential as the auth style it always was. */
export function httpCredentialAuth(credential: HttpCredential): BoundAuth {
  switch (credential.scheme) {
    case 'bearer':
      return { ...bindAuth(bearerStyle, { token: credential.token }), type: 'http' };
    case 'basic':
      return {
        ...bindAuth(basicStyle, { username: credential.username, password: credential.password }),
        type: 'http',
      };
    case 'header':
      return {
        ...bindAuth(apiKeyHeaderStyle, { name: credential.name, value: credential.value }),
        type: 'http',
      };
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
  credential: BoundAuth | undefined;
  env: ConnectorEnvironment;
}): HttpClient {
  return { fetch: options.env.fetch, auth: options.credential };
}
