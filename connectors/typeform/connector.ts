import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { authorizationWireSecrets } from '../sdk/credential-secrets.ts';
import { defineConnector } from '../sdk/define.ts';
import { createRestClient, type RestClient } from '../sdk/rest/index.ts';
import { listResponses } from './actions/list-responses.ts';
import { TypeformCredential, typeformApi } from './client.ts';
import { responseSubmitted } from './triggers/response-submitted.ts';

export const typeformConnector = defineConnector<TypeformCredential, RestClient>({
  id: 'typeform',
  version: '1.0.0',
  title: 'Typeform',
  description:
    'List the responses to Typeform forms and start workflows when a form is submitted (Responses and Webhooks APIs).',
  credential: {
    type: 'typeform',
    schema: TypeformCredential,
    howToGet:
      'In Typeform: your avatar → Account → Personal tokens → Generate a new token with the scopes responses:read and webhooks:write (and forms:read), then `vmesh credentials set typeform --type typeform` (the bare token on stdin is recognised).',
    fromToken: (token) => ({ token }),
    wireSecrets: (credential: TypeformCredential) => authorizationWireSecrets(credential.token, ['Bearer']),
  },
  // Typeform allows 2 requests per second per account on its Create and Responses APIs.
  rateLimit: { requests: 2, perSeconds: 1, burst: 2 },
  createClient: ({ credential, env }) => createRestClient(typeformApi, { credential, env }),
  async testCredential({ client, signal }) {
    const me = z
      .object({ alias: z.string().optional(), email: z.string().optional() })
      .loose()
      .parse((await client.send({ method: 'GET', path: '/me' }, signal)).body);
    return `Typeform accepts the token (${me.alias ?? me.email ?? 'account'}).`;
  },
  actions: [listResponses],
  triggers: [responseSubmitted],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
