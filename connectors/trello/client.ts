import { z } from 'zod';
import type { BoundAuth } from '../sdk/auth/auth-style.ts';
import type { RestApi, VendorError } from '../sdk/rest/index.ts';

export const TRELLO_API_URL = 'https://api.trello.com/1';

export const TrelloCredential = z.strictObject({
  apiKey: z
    .string()
    .regex(/^[0-9a-f]{32}$/i, 'a Trello API key (32 hex characters)')
    .describe('The API key of your Trello Power-Up (trello.com/power-ups/admin → API key).'),
  token: z
    .string()
    .regex(/^[A-Za-z0-9]{32,128}$/, 'a Trello token (ATTA… or 64 hex characters)')
    .describe('A user token authorised for that key (the "Token" link next to the API key).'),
  appSecret: z
    .string()
    .regex(/^[0-9a-f]{32,128}$/i, 'the Power-Up’s secret (64 hex characters)')
    .optional()
    .describe(
      'The Power-Up’s secret (shown under the API key): needed by the cardCreated trigger to check Trello’s signatures.',
    ),
});
export type TrelloCredential = z.infer<typeof TrelloCredential>;

/** Trello takes the key and the token as query parameters on every request. */
function trelloAuth(credential: TrelloCredential): BoundAuth {
  return {
    type: 'trello',
    async apply(request) {
      const url = new URL(request.url);
      url.searchParams.set('key', credential.apiKey);
      url.searchParams.set('token', credential.token);
      return { ...request, url };
    },
  };
}

const JsonError = z.object({ message: z.string(), error: z.string().optional() }).loose();

/** Trello answers most errors as plain text ("invalid id", "invalid token"); rate limits as `{ error, message }`. */
export function trelloVendorError(body: unknown): VendorError | undefined {
  if (typeof body === 'string' && body.trim()) {
    const text = body.trim().slice(0, 300);
    return {
      message: text,
      ...(/invalid id/i.test(text)
        ? {
            hint: 'Check the card or list id: 24 hex characters from the card’s or list’s JSON (add .json to its URL).',
          }
        : {}),
    };
  }
  const parsed = JsonError.safeParse(body);
  return parsed.success ? { message: parsed.data.message, vendorCode: parsed.data.error } : undefined;
}

export const trelloApi: RestApi<TrelloCredential> = {
  connector: 'trello',
  baseUrl: TRELLO_API_URL,
  auth: trelloAuth,
  vendorError: (body) => trelloVendorError(body),
  hints: {
    400: 'Trello refused a value: ids are 24 hex characters (add .json to a card’s URL to see its ids).',
    401: 'Trello refused the key and token (the token was revoked or expired): authorise a new token for the key and store it with `vmesh credentials set NAME --type trello`.',
    404: 'Check the ids: the card, list or board does not exist or the token’s member cannot see it.',
  },
};

export const TrelloId = (what: string) =>
  z
    .string()
    .regex(/^[0-9a-f]{24}$/i, `a Trello ${what} id (24 hex characters)`)
    .describe(`The ${what} id (24 hex characters), e.g. "5abbe4b7ddc1b351ef961414".`);

const RawCard = z.object({
  id: z.string(),
  name: z.string(),
  desc: z.string().default(''),
  idList: z.string(),
  idBoard: z.string(),
  url: z.string().optional(),
  shortUrl: z.string().optional(),
  due: z.string().nullable().optional(),
  idLabels: z.array(z.string()).max(100).default([]),
  idMembers: z.array(z.string()).max(100).default([]),
  closed: z.boolean().default(false),
});

export const Card = z.object({
  id: z.string().describe('The card id.'),
  name: z.string().describe('The card title.'),
  description: z.string().describe('The description (Markdown).'),
  listId: z.string().describe('The list it is in.'),
  boardId: z.string().describe('The board it is on.'),
  url: z.string().describe('Link to the card.'),
  due: z.string().nullable().describe('Due date (ISO), or null.'),
  labelIds: z.array(z.string()).describe('Label ids.'),
  memberIds: z.array(z.string()).describe('Member ids.'),
  archived: z.boolean().describe('Whether it is archived.'),
});
export type Card = z.infer<typeof Card>;

export function toCard(raw: unknown): Card {
  const card = RawCard.parse(raw);
  return {
    id: card.id,
    name: card.name,
    description: card.desc,
    listId: card.idList,
    boardId: card.idBoard,
    url: card.shortUrl ?? card.url ?? `https://trello.com/c/${card.id}`,
    due: card.due ?? null,
    labelIds: card.idLabels,
    memberIds: card.idMembers,
    archived: card.closed,
  };
}
