import { fileURLToPath } from 'node:url';
import { authorizationWireSecrets } from '../sdk/credential-secrets.ts';
import { defineConnector } from '../sdk/define.ts';
import { addReaction } from './actions/add-reaction.ts';
import { downloadFile } from './actions/download-file.ts';
import { lookupUserByEmail } from './actions/lookup-user-by-email.ts';
import { postMessage } from './actions/post-message.ts';
import { replyInThread } from './actions/reply-in-thread.ts';
import { uploadFile } from './actions/upload-file.ts';
import { callSlack, createSlackClient, type SlackClient, SlackCredential } from './client.ts';
import { slackOAuthProvider } from './oauth-provider.ts';
import { messagePosted } from './triggers/message-posted.ts';

export const slackConnector = defineConnector<SlackCredential, SlackClient>({
  id: 'slack',
  version: '1.0.0',
  title: 'Slack',
  description:
    'Post messages and thread replies, upload and download files, add reactions and find users in a Slack workspace.',
  credential: {
    type: 'slack',
    schema: SlackCredential,
    howToGet:
      'Create a Slack app (api.slack.com/apps), add the bot scopes chat:write, reactions:write, users:read, users:read.email, channels:history, files:write and files:read, install it to the workspace and copy the Bot User OAuth Token (xoxb-…).',
    fromToken: (token) => ({ token }),
    wireSecrets: (credential: SlackCredential) => authorizationWireSecrets(credential.token, ['Bearer']),
  },
  // https://docs.slack.dev/apis/web-api/rate-limits: the methods here are Tier 3 ("50+ per minute": conversations.history
  // and .replies, reactions.add, users.lookupByEmail); chat.postMessage allows "1 message per second per channel"
  // with short bursts. The budget is per credential (workspace), so it holds Tier 3's floor, 50 per minute, with a
  // burst of 5; a 429's Retry-After tightens it further.
  rateLimit: { requests: 50, perSeconds: 60, burst: 5 },
  oauthProviders: [slackOAuthProvider],
  createClient: createSlackClient,
  async testCredential({ client }) {
    const who = await callSlack('auth.test', () => client.auth.test());
    return `Slack accepts it: bot user ${who.user ?? who.user_id ?? '?'} in team ${who.team ?? who.team_id ?? '?'}.`;
  },
  actions: [postMessage, replyInThread, addReaction, lookupUserByEmail, uploadFile, downloadFile],
  triggers: [messagePosted],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
