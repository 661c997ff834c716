import { fileURLToPath } from 'node:url';
import type { BoundAuth } from '../sdk/auth/index.ts';
import { defineConnector } from '../sdk/define.ts';
import { request } from './actions/request.ts';
import { createHttpClient, type HttpClient } from './client.ts';
import { httpCredentialDefinition } from './credential.ts';
import { HTTP_OAUTH_PROVIDERS } from './oauth-providers.ts';

export const httpConnector = defineConnector<BoundAuth, HttpClient>({
  id: 'http',
  version: '1.0.0',
  title: 'HTTP',
  description: 'Call any HTTP API: method, URL, headers, query and a JSON, text or form body.',
  credential: httpCredentialDefinition(),
  oauthProviders: HTTP_OAUTH_PROVIDERS,
  createClient: createHttpClient,
  actions: [request],
  triggers: [],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
