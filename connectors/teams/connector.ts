import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { checkMicrosoftCredential, type GraphCredential, graphCredential } from '../microsoft/graph.ts';
import { defineConnector } from '../sdk/define.ts';
import { createRestClient, type RestClient } from '../sdk/rest/index.ts';
import { postChannelMessage, replyToChannelMessage } from './actions/post-channel-message.ts';
import { sendChatMessage } from './actions/send-chat-message.ts';
import { TEAMS_SCOPES, teamsApi } from './client.ts';

export const teamsConnector = defineConnector<GraphCredential, RestClient>({
  id: 'teams',
  version: '1.0.0',
  title: 'Microsoft Teams',
  description:
    'Post messages and thread replies in Microsoft Teams channels and send chat messages as the connected user (Microsoft Graph v1.0).',
  // The `microsoft` OAuth provider is declared by the outlook connector (provider ids are unique).
  credential: graphCredential(TEAMS_SCOPES, 'Teams messages'),
  // Graph throttles Teams message posts per app and tenant (a few per second); 4 per second, 4 at once.
  rateLimit: { requests: 4, perSeconds: 1, burst: 4 },
  createClient: ({ credential, env }) => {
    checkMicrosoftCredential('teams', credential, TEAMS_SCOPES);
    return createRestClient(teamsApi, { credential, env });
  },
  async testCredential({ client, signal }) {
    const { body } = await client.send(
      { method: 'GET', path: '/me', query: { $select: 'displayName' } },
      signal,
    );
    const me = z.object({ displayName: z.string().optional() }).safeParse(body);
    return `Microsoft Graph accepts the credential: ${me.success ? (me.data.displayName ?? '?') : '?'}.`;
  },
  actions: [postChannelMessage, replyToChannelMessage, sendChatMessage],
  triggers: [],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
