import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { oauth2Style } from '../sdk/auth/oauth2.ts';
import { authorizationWireSecrets } from '../sdk/credential-secrets.ts';
import { defineConnector } from '../sdk/define.ts';
import type { RestClient } from '../sdk/rest/index.ts';
import { createRecord } from './actions/create-record.ts';
import { query } from './actions/query.ts';
import { updateRecord } from './actions/update-record.ts';
import { upsertRecord } from './actions/upsert-record.ts';
import { createSalesforceClient, type SalesforceAnyCredential, SalesforceCredential } from './client.ts';
import { salesforceOAuthProvider } from './oauth-provider.ts';
import { recordCreated } from './triggers/record-created.ts';

export const salesforceConnector = defineConnector<SalesforceAnyCredential, RestClient>({
  id: 'salesforce',
  version: '1.0.0',
  title: 'Salesforce',
  description:
    'Salesforce CRM through the REST API v60: create, update and upsert records of any object, query with SOQL (values bound safely); start workflows on new records (poll).',
  credential: {
    type: 'salesforce',
    schema: SalesforceCredential,
    howToGet:
      'Connect with a link: `vmesh credentials connect NAME --type oauth2 --provider salesforce` (a connected app with the "api" and "refresh_token" scopes; its consumer key and secret in VMESH_OAUTH_SALESFORCE_CLIENT_ID/_CLIENT_SECRET). Or store a session token and the instance URL: `sf org display --json` shows both; `vmesh credentials set NAME --type salesforce` with {"instanceUrl":"https://acme.my.salesforce.com","accessToken":"00D…"}.',
    publicFields: ['instanceUrl'],
    wireSecrets: (credential: SalesforceCredential) =>
      authorizationWireSecrets(credential.accessToken, ['Bearer', 'OAuth']),
    alternatives: [oauth2Style],
  },
  oauthProviders: [salesforceOAuthProvider],
  // Enterprise Edition's smallest daily allowance is 100,000 API requests per rolling 24 hours.
  rateLimit: { requests: 100_000, perSeconds: 86_400, burst: 25 },
  createClient: ({ credential, env }) => createSalesforceClient({ credential, env }),
  async testCredential({ client, signal }) {
    const response = await client.send({ method: 'GET', path: '/limits' }, signal);
    const limits = z
      .object({ DailyApiRequests: z.object({ Max: z.number(), Remaining: z.number() }) })
      .parse(response.body);
    return `Salesforce accepts the token (${limits.DailyApiRequests.Remaining} of ${limits.DailyApiRequests.Max} daily API requests left).`;
  },
  actions: [createRecord, updateRecord, upsertRecord, query],
  triggers: [recordCreated],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
