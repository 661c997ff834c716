import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { ConnectorError } from '../../sdk/connector-error.ts';
import { defineTrigger, type WebhookDelivery, type WebhookSubscription } from '../../sdk/define.ts';
import { fillPath, type RestClient } from '../../sdk/rest/index.ts';
import { type TrelloCredential, TrelloId } from '../client.ts';

export const CardCreatedFilters = z.strictObject({
  boardId: TrelloId('board').describe(
    'The board to watch (24 hex characters; add .json to the board’s URL to see its id). The webhook is registered on it.',
  ),
  listIds: z.array(TrelloId('list')).max(100).optional().describe('Only cards created in these lists.'),
});
export type CardCreatedFilters = z.infer<typeof CardCreatedFilters>;

export const CardCreatedData = z.object({
  cardId: z.string().describe('The new card’s id.'),
  name: z.string().describe('Its title.'),
  url: z.string().describe('Link to the card.'),
  listId: z.string().nullable().describe('The list it was created in.'),
  listName: z.string().nullable().describe('That list’s name.'),
  boardId: z.string().describe('The board.'),
  boardName: z.string().nullable().describe('The board’s name.'),
  createdBy: z.string().nullable().describe('Username of who created it.'),
  createdAt: z.string().describe('When (ISO).'),
  how: z
    .string()
    .describe('Trello’s action type: createCard, copyCard, emailCard or convertToCardFromCheckItem.'),
});
export type CardCreatedData = z.infer<typeof CardCreatedData>;

const CREATING = new Set(['createCard', 'copyCard', 'emailCard', 'convertToCardFromCheckItem']);
const Named = z.object({ id: z.string(), name: z.string().optional() }).loose();
const Payload = z.object({
  action: z.object({
    id: z.string(),
    type: z.string(),
    date: z.string().optional(),
    data: z
      .object({
        card: Named.extend({ shortLink: z.string().optional() }).optional(),
        list: Named.optional(),
        board: Named.optional(),
      })
      .loose(),
    memberCreator: z.object({ username: z.string().optional() }).loose().optional(),
  }),
});

function header(delivery: WebhookDelivery, name: string): string | undefined {
  const value = delivery.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Trello's `X-Trello-Webhook`: base64 HMAC-SHA1, keyed with the Power-Up's secret, of the raw body followed by the
 * webhook's callback URL (the URL the delivery was addressed to).
 */
export function verifyTrelloDelivery(delivery: WebhookDelivery, secret: string): boolean {
  const given = header(delivery, 'x-trello-webhook');
  if (!given || !secret || !delivery.url) return false;
  const expected = createHmac('sha1', secret)
    .update(Buffer.concat([delivery.rawBody, Buffer.from(delivery.url)]))
    .digest();
  const received = Buffer.from(given, 'base64');
  return received.length === expected.length && timingSafeEqual(received, expected);
}

export function signTrelloPayload(rawBody: Buffer | string, callbackUrl: string, secret: string): string {
  return createHmac('sha1', secret).update(`${rawBody}${callbackUrl}`).digest('base64');
}

export function parseTrelloCardCreated(body: unknown): CardCreatedData | undefined {
  const payload = Payload.safeParse(body);
  if (!payload.success || !CREATING.has(payload.data.action.type)) return undefined;
  const { action } = payload.data;
  const { card, list, board } = action.data;
  if (!card || !board) return undefined;
  return {
    cardId: card.id,
    name: card.name ?? '',
    url: `https://trello.com/c/${card.shortLink ?? card.id}`,
    listId: list?.id ?? null,
    listName: list?.name ?? null,
    boardId: board.id,
    boardName: board.name ?? null,
    createdBy: action.memberCreator?.username ?? null,
    createdAt: action.date ?? new Date().toISOString(),
    how: action.type,
  };
}

const Webhook = z.object({ id: z.string(), callbackURL: z.string(), idModel: z.string() }).loose();
type Context = Parameters<WebhookSubscription<CardCreatedFilters, TrelloCredential, RestClient>['create']>[0];

function appSecretOf(ctx: Context): string {
  const secret = ctx.credential?.appSecret;
  if (!secret) {
    throw new ConnectorError({
      code: 'E_CREDENTIAL',
      message:
        'trello.cardCreated checks Trello’s signatures with the Power-Up’s secret, and the credential has no appSecret.',
      retryable: false,
      hint: 'Add "appSecret" (trello.com/power-ups/admin → your Power-Up → API key → Secret) to the credential with `vmesh credentials set NAME --type trello`.',
    });
  }
  return secret;
}

/**
 * A Trello webhook on the board (`POST /1/webhooks` with callbackURL and idModel; Trello first sends a HEAD to the
 * URL and creates it only on a 200). Deliveries are signed with the Power-Up's secret, so that is the hook secret.
 * A webhook the token already has for this URL and board (an earlier attempt) is reused.
 */
const boardWebhook: WebhookSubscription<CardCreatedFilters, TrelloCredential, RestClient> = {
  target: (filters) => filters.boardId,
  async create(ctx, filters, hook) {
    const secret = appSecretOf(ctx);
    const listed = await ctx.client.send(
      { method: 'GET', path: fillPath('/tokens/{token}/webhooks', { token: ctx.credential?.token ?? '' }) },
      ctx.signal,
    );
    const existing = z
      .array(Webhook)
      .max(1000)
      .parse(listed.body)
      .find((webhook) => webhook.callbackURL === hook.url && webhook.idModel === filters.boardId);
    if (existing) return { id: existing.id, secret };
    const created = await ctx.client.send(
      {
        method: 'POST',
        path: '/webhooks',
        json: {
          callbackURL: hook.url,
          idModel: filters.boardId,
          description: 'VelocityMesh trello.cardCreated',
        },
      },
      ctx.signal,
    );
    return { id: Webhook.parse(created.body).id, secret };
  },
  async delete(ctx, _filters, subscription) {
    try {
      await ctx.client.send(
        { method: 'DELETE', path: fillPath('/webhooks/{id}', { id: subscription.id }) },
        ctx.signal,
      );
    } catch (error) {
      if (error instanceof ConnectorError && error.status === 404) return;
      throw error;
    }
  },
};

export const cardCreated = defineTrigger({
  key: 'cardCreated',
  title: 'Trello card created',
  description:
    'Starts the workflow when a card is created on a Trello board (registers a board webhook itself; X-Trello-Webhook signatures are verified).',
  kind: 'webhook',
  with: CardCreatedFilters,
  data: CardCreatedData,
  sample: {
    cardId: '5abbe4b7ddc1b351ef961414',
    name: 'Call Ana about the offer',
    url: 'https://trello.com/c/AbCd1234',
    listId: '5abbe4b7ddc1b351ef961411',
    listName: 'To do',
    boardId: '5abbe4b7ddc1b351ef961410',
    boardName: 'Sales',
    createdBy: 'ana',
    createdAt: '2026-12-04T09:30:00.000Z',
    how: 'createCard',
  } satisfies CardCreatedData,
  verify: verifyTrelloDelivery,
  deliveryId(delivery) {
    const id = z.object({ action: z.object({ id: z.string().max(64) }) }).safeParse(delivery.body);
    return id.success ? `trello-${id.data.action.id}` : undefined;
  },
  parse: (delivery) => parseTrelloCardCreated(delivery.body),
  subscription: boardWebhook,
  matches(filters, data) {
    const parsed = CardCreatedData.safeParse(data);
    if (!parsed.success) return false;
    if (parsed.data.boardId !== filters.boardId) return false;
    if (filters.listIds && !filters.listIds.includes(parsed.data.listId ?? '')) return false;
    return true;
  },
});
