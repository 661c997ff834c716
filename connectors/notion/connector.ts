import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { oauth2Style } from '../sdk/auth/oauth2.ts';
import { authorizationWireSecrets } from '../sdk/credential-secrets.ts';
import { defineConnector } from '../sdk/define.ts';
import { createRestClient, type RestClient } from '../sdk/rest/index.ts';
import { appendBlocks } from './actions/append-blocks.ts';
import { createPage } from './actions/create-page.ts';
import { queryDatabase } from './actions/query-database.ts';
import { updatePage } from './actions/update-page.ts';
import { type NotionCredential, NotionToken, notionApi } from './client.ts';
import { notionOAuthProvider } from './oauth-provider.ts';
import { databaseItemAdded } from './triggers/database-item-added.ts';

export const notionConnector = defineConnector<NotionCredential, RestClient>({
  id: 'notion',
  version: '1.0.0',
  title: 'Notion',
  description:
    'Create and update Notion pages and database items, query databases, append content; start workflows when a database item is added.',
  credential: {
    type: 'notion',
    schema: NotionToken,
    howToGet:
      'At notion.so/profile/integrations create an internal integration (capabilities: read, update and insert content), copy its secret, share the pages and databases with it (••• → Connections), then `vmesh credentials set notion --type notion` (the bare secret on stdin is recognised). Or connect a public integration: `vmesh credentials connect notion --type oauth2 --provider notion`.',
    fromToken: (token) => ({ token }),
    wireSecrets: (credential: NotionToken) => authorizationWireSecrets(credential.token, ['Bearer']),
    alternatives: [oauth2Style],
  },
  oauthProviders: [notionOAuthProvider],
  // Notion's documented average is 3 requests per second per integration, with bursts allowed.
  rateLimit: { requests: 3, perSeconds: 1, burst: 10 },
  createClient: ({ credential, env }) => createRestClient(notionApi, { credential, env }),
  async testCredential({ client, signal }) {
    const answer = await client.send({ method: 'GET', path: '/users/me' }, signal);
    const me = z.object({ id: z.string(), name: z.string().nullable().optional() }).parse(answer.body);
    return `Notion accepts it: the integration is ${me.name ?? me.id}.`;
  },
  actions: [createPage, updatePage, queryDatabase, appendBlocks],
  triggers: [databaseItemAdded],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
