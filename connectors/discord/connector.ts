import { fileURLToPath } from 'node:url';
import { authorizationWireSecrets } from '../sdk/credential-secrets.ts';
import { defineConnector } from '../sdk/define.ts';
import { sendMessage } from './actions/send-message.ts';
import { sendWebhookMessage } from './actions/send-webhook-message.ts';
import { createDiscordClient, type DiscordClient, DiscordCredential, parseWebhookUrl } from './client.ts';

export const discordConnector = defineConnector<DiscordCredential, DiscordClient>({
  id: 'discord',
  version: '1.0.0',
  title: 'Discord',
  description:
    'Send messages, with embeds and file attachments, to Discord channels as a bot or through a channel webhook.',
  credential: {
    type: 'discord',
    schema: DiscordCredential,
    optional: true,
    howToGet:
      'For a bot: discord.com/developers/applications → your app → Bot → Reset Token, and invite the bot to the server with Send Messages. For a webhook: Channel settings → Integrations → Webhooks → Copy Webhook URL. Store {"botToken":"…"} and/or {"webhookUrl":"…"}; a bare token or webhook URL on stdin is recognised.',
    fromToken: (token) => (token.startsWith('https://') ? { webhookUrl: token } : { botToken: token }),
    wireSecrets: (credential: DiscordCredential) => {
      const webhook = credential.webhookUrl ? parseWebhookUrl(credential.webhookUrl) : undefined;
      return [
        ...(credential.botToken ? authorizationWireSecrets(credential.botToken, ['Bot']) : []),
        ...(webhook ? [webhook.token, `${webhook.id}/${webhook.token}`] : []),
      ];
    },
  },
  createClient: createDiscordClient,
  actions: [sendMessage, sendWebhookMessage],
  triggers: [],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
