import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { oauth2Style } from '../sdk/auth/oauth2.ts';
import { defineConnector } from '../sdk/define.ts';
import { createRestClient, type RestClient } from '../sdk/rest/index.ts';
import { createActivity, updateActivity } from './actions/activities.ts';
import { createDeal, updateDeal } from './actions/deals.ts';
import { createPerson, updatePerson } from './actions/persons.ts';
import {
  dataOf,
  type PipedriveCredential,
  PipedriveToken,
  pipedriveApi,
  pipedriveBaseUrl,
} from './client.ts';
import { pipedriveOAuthProvider } from './oauth-provider.ts';
import { dealCreated } from './triggers/deal-created.ts';

export const pipedriveConnector = defineConnector<PipedriveCredential, RestClient>({
  id: 'pipedrive',
  version: '1.0.0',
  title: 'Pipedrive',
  description:
    'Create and update Pipedrive deals, persons and activities; start workflows when a deal is created (a webhook it registers itself).',
  credential: {
    type: 'pipedrive',
    schema: PipedriveToken,
    howToGet:
      'In Pipedrive: your name → Personal preferences → API → copy the personal API token, then `vmesh credentials set pipedrive --type pipedrive` with {"apiToken":"…","companyDomain":"acme"} (the bare token on stdin is recognised). Or connect an app: `vmesh credentials connect pipedrive --type oauth2 --provider pipedrive`.',
    fromToken: (token) => ({ apiToken: token }),
    wireSecrets: (credential: PipedriveToken) => [
      encodeURIComponent(credential.apiToken),
      `api_token=${encodeURIComponent(credential.apiToken)}`,
    ],
    publicFields: ['companyDomain'],
    alternatives: [oauth2Style],
  },
  oauthProviders: [pipedriveOAuthProvider],
  // The smallest plan's burst limit: 20 requests per 2-second window per user (x-ratelimit-* headers say more).
  rateLimit: { requests: 20, perSeconds: 2, burst: 20 },
  createClient: ({ credential, env }) =>
    createRestClient({ ...pipedriveApi, baseUrl: pipedriveBaseUrl(credential) }, { credential, env }),
  async testCredential({ client, signal }) {
    const answer = await client.send({ method: 'GET', path: '/v1/users/me' }, signal);
    const me = z
      .object({ name: z.string(), company_domain: z.string().optional() })
      .loose()
      .parse(dataOf(answer.body));
    return `Pipedrive accepts it: ${me.name}${me.company_domain ? ` at ${me.company_domain}.pipedrive.com` : ''}.`;
  },
  actions: [createDeal, updateDeal, createPerson, updatePerson, createActivity, updateActivity],
  triggers: [dealCreated],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
