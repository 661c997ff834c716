import { fileURLToPath } from 'node:url';
import { defineConnector } from '../sdk/define.ts';
import { request } from './actions/request.ts';
import { createHttpClient, type HttpClient, HttpCredential, httpWireSecrets } from './client.ts';

export const httpConnector = defineConnector<HttpCredential, HttpClient>({
  id: 'http',
  version: '1.0.0',
  title: 'HTTP',
  description: 'Call any HTTP API: method, URL, headers, query and a JSON, text or form body.',
  credential: {
    type: 'http',
    schema: HttpCredential,
    optional: true,
    howToGet:
      'Use the API key or token the service gives you: {"scheme":"bearer","token":"…"}, {"scheme":"basic","username":"…","password":"…"} or {"scheme":"header","name":"X-Api-Key","value":"…"}. A bare token on stdin becomes a bearer token.',
    fromToken: (token) => ({ scheme: 'bearer', token }),
    wireSecrets: httpWireSecrets,
    publicFields: ['scheme', 'name'],
  },
  createClient: createHttpClient,
  actions: [request],
  triggers: [],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
