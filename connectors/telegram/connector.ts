import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { defineConnector } from '../sdk/define.ts';
import { createRestClient, type RestClient } from '../sdk/rest/index.ts';
import { answerCallback } from './actions/answer-callback.ts';
import { editMessage } from './actions/edit-message.ts';
import { sendDocument, sendPhoto } from './actions/send-file.ts';
import { sendMessage } from './actions/send-message.ts';
import { resultOf, TelegramCredential, telegramApi } from './client.ts';
import { message } from './triggers/message.ts';

/** The bot token is a path segment of every URL: `…/bot123456:AAE…/sendMessage`. */
function pathForms(token: string): string[] {
  return [token, encodeURIComponent(token), `bot${token}`];
}

export const telegramConnector = defineConnector<TelegramCredential, RestClient>({
  id: 'telegram',
  version: '1.0.0',
  title: 'Telegram',
  description:
    'A Telegram bot: send messages, files and photos, edit messages, answer button presses; start workflows on messages to the bot.',
  credential: {
    type: 'telegram',
    schema: TelegramCredential,
    howToGet:
      'In Telegram, talk to @BotFather: /newbot (or /token for an existing bot) gives the bot token, then `vmesh credentials set telegram --type telegram` (the bare token on stdin is recognised).',
    fromToken: (token) => ({ botToken: token }),
    wireSecrets: (credential: TelegramCredential) => pathForms(credential.botToken),
  },
  // Telegram's documented ceiling is about 30 messages per second per bot (1 per second per chat).
  rateLimit: { requests: 30, perSeconds: 1, burst: 30 },
  createClient: ({ credential, env }) => createRestClient(telegramApi, { credential, env }),
  async testCredential({ client, signal }) {
    const me = resultOf(
      await client.send({ method: 'GET', path: '/getMe' }, signal),
      z.object({ username: z.string() }),
    );
    return `Telegram accepts it: the bot is @${me.username}.`;
  },
  actions: [sendMessage, sendDocument, sendPhoto, editMessage, answerCallback],
  triggers: [message],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
