import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  FailureQueue,
  type InjectedFailure,
  listenLocal,
  type RecordedRequest,
  recordRequest,
  sendFailure,
} from '../testing/fake-server.ts';
import { signTrelloPayload } from './triggers/card-created.ts';

const hexId = () => randomBytes(12).toString('hex');

export type FakeTrelloCard = {
  id: string;
  name: string;
  desc: string;
  idList: string;
  idBoard: string;
  pos: number;
  due: string | null;
  idLabels: string[];
  idMembers: string[];
  closed: boolean;
  shortLink: string;
  comments: string[];
};
export type FakeTrelloWebhook = {
  id: string;
  callbackURL: string;
  idModel: string;
  description: string;
  active: boolean;
};

export type TrelloFake = {
  /** Give as env.baseUrls.trello (the API 1 root). */
  url: string;
  apiKey: string;
  token: string;
  appSecret: string;
  boardId: string;
  todoListId: string;
  doneListId: string;
  requests: RecordedRequest[];
  cards(): FakeTrelloCard[];
  webhooks(): FakeTrelloWebhook[];
  /** What Trello does for a webhook after a card is created: POST the action, signed, to its callback URL. */
  deliverCardCreated(
    webhook: FakeTrelloWebhook,
    name: string,
    options?: { signature?: string },
  ): Promise<Response>;
  revoke(): void;
  /** Route keys: `POST /cards`, `PUT /cards/:id`, `POST /cards/:id/actions/comments`, `POST /webhooks`. */
  fail(route: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

const CardInput = z
  .object({
    idList: z.string().optional(),
    idBoard: z.string().optional(),
    name: z.string().optional(),
    desc: z.string().optional(),
    pos: z.union([z.string(), z.number()]).optional(),
    due: z.string().optional(),
    idLabels: z.string().optional(),
    idMembers: z.string().optional(),
    urlSource: z.string().optional(),
  })
  .loose();

/**
 * A local Trello REST API 1 (https://developer.atlassian.com/cloud/trello/rest): key and token as query
 * parameters, cards (create, update/move, comments), `GET /members/me`, webhooks (`GET /tokens/{token}/webhooks`,
 * `POST /webhooks` after a HEAD to the callback URL that must answer 200, `DELETE /webhooks/{id}`), Trello's
 * plain-text errors, and signed deliveries (X-Trello-Webhook: base64 HMAC-SHA1 of body + callback URL).
 */
export async function startTrelloFake(): Promise<TrelloFake> {
  const app = Fastify({ logger: false });
  const requests: RecordedRequest[] = [];
  const failures = new FailureQueue();
  const apiKey = randomBytes(16).toString('hex');
  let token = `ATTA${randomBytes(32).toString('hex')}`;
  const appSecret = randomBytes(32).toString('hex');
  const board = { id: hexId(), name: 'Sales' };
  const lists = [
    { id: hexId(), name: 'To do', idBoard: board.id },
    { id: hexId(), name: 'Done', idBoard: board.id },
  ];
  const cards: FakeTrelloCard[] = [];
  const webhooks: FakeTrelloWebhook[] = [];

  const view = ({ comments: _, ...card }: FakeTrelloCard) => ({
    ...card,
    url: `https://trello.com/c/${card.shortLink}/${card.name.toLowerCase().replace(/\W+/g, '-')}`,
    shortUrl: `https://trello.com/c/${card.shortLink}`,
  });
  const text = (reply: FastifyReply, status: number, message: string) =>
    reply.code(status).header('content-type', 'text/plain; charset=utf-8').send(message);

  const authorized = (request: FastifyRequest, reply: FastifyReply): boolean => {
    const query = request.query as Record<string, unknown>;
    if (query.key !== apiKey) {
      void text(reply, 401, 'invalid key');
      return false;
    }
    if (query.token !== token) {
      void text(reply, 401, 'invalid token');
      return false;
    }
    return true;
  };

  app.addHook('preHandler', async (request, reply) => {
    requests.push(recordRequest(request));
    const path = (request.url.split('?')[0] ?? '')
      .replace(/^\/1/, '')
      .replace(/^\/cards\/[^/]+/, '/cards/:id')
      .replace(/^\/webhooks\/[^/]+/, '/webhooks/:id');
    const failure = failures.take(`${request.method} ${path}`);
    if (failure) return sendFailure(reply, failure);
    if (!authorized(request, reply)) return reply;
  });

  const findCard = (id: string, reply: FastifyReply): FakeTrelloCard | undefined => {
    if (!/^[0-9a-f]{24}$/.test(id)) {
      void text(reply, 400, 'invalid id');
      return undefined;
    }
    const card = cards.find((candidate) => candidate.id === id);
    if (!card) void text(reply, 404, 'The requested resource was not found.');
    return card;
  };

  app.post('/1/cards', async (request, reply) => {
    const input = CardInput.safeParse(request.body ?? {});
    if (!input.success) return text(reply, 400, 'invalid value for name');
    const list = lists.find((candidate) => candidate.id === input.data.idList);
    if (!list) return text(reply, 400, 'invalid value for idList');
    const card: FakeTrelloCard = {
      id: hexId(),
      name: input.data.name ?? '',
      desc: input.data.desc ?? '',
      idList: list.id,
      idBoard: list.idBoard,
      pos: input.data.pos === 'top' ? 0 : 65_535 * (cards.length + 1),
      due: input.data.due ?? null,
      idLabels: input.data.idLabels ? input.data.idLabels.split(',') : [],
      idMembers: input.data.idMembers ? input.data.idMembers.split(',') : [],
      closed: false,
      shortLink: randomBytes(4).toString('hex'),
      comments: [],
    };
    cards.push(card);
    return view(card);
  });

  app.put<{ Params: { id: string } }>('/1/cards/:id', async (request, reply) => {
    const card = findCard(request.params.id, reply);
    if (!card) return reply;
    const input = CardInput.safeParse(request.body ?? {});
    if (!input.success) return text(reply, 400, 'invalid value');
    if (input.data.idList) {
      const list = lists.find((candidate) => candidate.id === input.data.idList);
      if (!list) return text(reply, 400, 'invalid value for idList');
      card.idList = list.id;
      card.idBoard = list.idBoard;
    }
    if (input.data.name !== undefined) card.name = input.data.name;
    return view(card);
  });

  app.post<{ Params: { id: string } }>('/1/cards/:id/actions/comments', async (request, reply) => {
    const card = findCard(request.params.id, reply);
    if (!card) return reply;
    const input = z.object({ text: z.string().min(1) }).safeParse(request.body ?? {});
    if (!input.success) return text(reply, 400, 'invalid value for text');
    card.comments.push(input.data.text);
    return {
      id: hexId(),
      idMemberCreator: hexId(),
      type: 'commentCard',
      date: new Date().toISOString(),
      data: { text: input.data.text, card: { id: card.id, name: card.name }, board: { id: board.id } },
    };
  });

  app.get('/1/members/me', async () => ({ id: hexId(), username: 'ana', fullName: 'Ana Silva' }));

  app.get<{ Params: { token: string } }>('/1/tokens/:token/webhooks', async (request, reply) => {
    if (request.params.token !== token) return text(reply, 401, 'invalid token');
    return webhooks;
  });

  app.post('/1/webhooks', async (request, reply) => {
    const input = z
      .object({ callbackURL: z.url(), idModel: z.string(), description: z.string().optional() })
      .safeParse(request.body ?? {});
    if (!input.success) return text(reply, 400, 'invalid value for callbackURL');
    if (input.data.idModel !== board.id && !lists.some((list) => list.id === input.data.idModel))
      return text(reply, 400, 'invalid value for idModel');
    if (
      webhooks.some(
        (hook) => hook.callbackURL === input.data.callbackURL && hook.idModel === input.data.idModel,
      )
    )
      return text(reply, 400, 'A webhook with that callback, model, and token already exists');
    // Trello checks the callback URL with a HEAD first and creates the webhook only on a 200.
    const head = await fetch(input.data.callbackURL, { method: 'HEAD' }).catch(() => undefined);
    if (head?.status !== 200)
      return text(
        reply,
        400,
        `URL (${input.data.callbackURL}) did not return 200 status code, got ${head?.status ?? 'no answer'}`,
      );
    const webhook = {
      id: hexId(),
      callbackURL: input.data.callbackURL,
      idModel: input.data.idModel,
      description: input.data.description ?? '',
      active: true,
    };
    webhooks.push(webhook);
    return webhook;
  });

  app.delete<{ Params: { id: string } }>('/1/webhooks/:id', async (request, reply) => {
    const index = webhooks.findIndex((hook) => hook.id === request.params.id);
    if (index < 0) return text(reply, 404, 'The requested resource was not found.');
    webhooks.splice(index, 1);
    return { _value: null };
  });

  const url = `${await listenLocal(app)}/1`;
  return {
    url,
    apiKey,
    get token() {
      return token;
    },
    appSecret,
    boardId: board.id,
    todoListId: lists[0]?.id ?? '',
    doneListId: lists[1]?.id ?? '',
    requests,
    cards: () => cards,
    webhooks: () => webhooks,
    async deliverCardCreated(webhook, name, options = {}) {
      const list = lists[0];
      const body = JSON.stringify({
        action: {
          id: hexId(),
          idMemberCreator: hexId(),
          type: 'createCard',
          date: new Date().toISOString(),
          data: {
            card: { id: hexId(), name, idShort: cards.length + 1, shortLink: 'AbCd1234' },
            list: { id: list?.id, name: list?.name },
            board: { id: board.id, name: board.name, shortLink: 'BoArD123' },
          },
          memberCreator: { id: hexId(), username: 'ana', fullName: 'Ana Silva' },
        },
        model: { id: board.id, name: board.name },
      });
      return fetch(webhook.callbackURL, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-trello-webhook': options.signature ?? signTrelloPayload(body, webhook.callbackURL, appSecret),
        },
        body,
      });
    },
    revoke() {
      token = `ATTA${randomBytes(32).toString('hex')}`;
    },
    fail: (route, failure) => failures.add(route, failure),
    close: () => app.close(),
  };
}
