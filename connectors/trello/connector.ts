import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { defineConnector } from '../sdk/define.ts';
import { createRestClient, type RestClient } from '../sdk/rest/index.ts';
import { addComment } from './actions/add-comment.ts';
import { createCard } from './actions/create-card.ts';
import { moveCard } from './actions/move-card.ts';
import { TrelloCredential, trelloApi } from './client.ts';
import { cardCreated } from './triggers/card-created.ts';

export const trelloConnector = defineConnector<TrelloCredential, RestClient>({
  id: 'trello',
  version: '1.0.0',
  title: 'Trello',
  description: 'Create and move Trello cards and comment on them (REST API 1); start workflows on new cards.',
  credential: {
    type: 'trello',
    schema: TrelloCredential,
    howToGet:
      'At https://trello.com/power-ups/admin create a Power-Up, open API key: copy the key, the Secret, and authorise a token with the "Token" link; then `vmesh credentials set trello --type trello` with {"apiKey":"…","token":"…","appSecret":"…"} (appSecret only for the cardCreated trigger).',
    wireSecrets: (credential: TrelloCredential) => [
      `key=${credential.apiKey}&token=${credential.token}`,
      `token=${credential.token}`,
    ],
  },
  // Trello allows 100 requests per 10 seconds per token (and 300 per key).
  rateLimit: { requests: 100, perSeconds: 10, burst: 20 },
  createClient: ({ credential, env }) => createRestClient(trelloApi, { credential, env }),
  async testCredential({ client, signal }) {
    const me = z
      .object({ username: z.string() })
      .loose()
      .parse(
        (await client.send({ method: 'GET', path: '/members/me', query: { fields: 'username' } }, signal))
          .body,
      );
    return `Trello accepts it: the token is @${me.username}’s.`;
  },
  actions: [createCard, moveCard, addComment],
  triggers: [cardCreated],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
