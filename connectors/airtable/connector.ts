import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { authorizationWireSecrets } from '../sdk/credential-secrets.ts';
import { defineConnector } from '../sdk/define.ts';
import { createRestClient, type RestClient } from '../sdk/rest/index.ts';
import { createRecords } from './actions/create-records.ts';
import { getRecord } from './actions/get-record.ts';
import { listRecords } from './actions/list-records.ts';
import { searchRecords } from './actions/search-records.ts';
import { updateRecords } from './actions/update-records.ts';
import { AirtableCredential, airtableApi } from './client.ts';
import { recordCreated } from './triggers/record-created.ts';

export const airtableConnector = defineConnector<AirtableCredential, RestClient>({
  id: 'airtable',
  version: '1.0.0',
  title: 'Airtable',
  description:
    'Create, update, read, list and search Airtable records; start workflows when a record is created (Airtable Web API v0).',
  credential: {
    type: 'airtable',
    schema: AirtableCredential,
    howToGet:
      'At airtable.com/create/tokens create a personal access token with the scopes data.records:read and data.records:write and add the bases it may use, then `vmesh credentials set airtable --type airtable` (the bare token on stdin is recognised).',
    fromToken: (token) => ({ token }),
    wireSecrets: (credential: AirtableCredential) => authorizationWireSecrets(credential.token, ['Bearer']),
  },
  // Airtable allows 5 requests per second per base (and 50 per second per token).
  rateLimit: { requests: 5, perSeconds: 1, burst: 5 },
  createClient: ({ credential, env }) => createRestClient(airtableApi, { credential, env }),
  async testCredential({ client, signal }) {
    const answer = await client.send({ method: 'GET', path: '/meta/whoami' }, signal);
    const me = z.object({ id: z.string(), email: z.string().optional() }).parse(answer.body);
    return `Airtable accepts the token (user ${me.email ?? me.id}).`;
  },
  actions: [createRecords, updateRecords, getRecord, listRecords, searchRecords],
  triggers: [recordCreated],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
