import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { authorizationWireSecrets } from '../sdk/credential-secrets.ts';
import { defineConnector } from '../sdk/define.ts';
import type { RestClient } from '../sdk/rest/index.ts';
import { postMessage } from './actions/post-message.ts';
import { replyInThread } from './actions/reply-in-thread.ts';
import { createMattermostClient, MattermostCredential } from './client.ts';

export const mattermostConnector = defineConnector<MattermostCredential, RestClient>({
  id: 'mattermost',
  version: '1.0.0',
  title: 'Mattermost',
  description:
    'Post messages and thread replies in Mattermost channels on your own server (REST API v4, a personal access or bot token).',
  credential: {
    type: 'mattermost',
    schema: MattermostCredential,
    howToGet:
      'In Mattermost: Profile → Security → Personal Access Tokens → Create (an admin may need to enable them), or a bot account’s token; then `vmesh credentials set mattermost --type mattermost` with {"serverUrl":"https://chat.example.com","token":"…"} on stdin. A server on a private network must be allowed with VMESH_HTTP_ALLOW_HOSTS.',
    wireSecrets: (credential: MattermostCredential) => authorizationWireSecrets(credential.token, ['Bearer']),
    publicFields: ['serverUrl'],
  },
  // Mattermost's default rate limit (ServiceSettings.RateLimitSettings): 10 requests per second, burst 100.
  rateLimit: { requests: 10, perSeconds: 1, burst: 10 },
  createClient: createMattermostClient,
  async testCredential({ client, signal }) {
    const { body } = await client.send({ method: 'GET', path: '/users/me' }, signal);
    const me = z.object({ username: z.string() }).safeParse(body);
    return `Mattermost accepts the token: user @${me.success ? me.data.username : '?'}.`;
  },
  actions: [postMessage, replyInThread],
  triggers: [],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
