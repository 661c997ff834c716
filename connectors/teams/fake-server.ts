import { z } from 'zod';
import { createGraphFakeBase, graphError } from '../microsoft/fake-graph.ts';
import { type InjectedFailure, listenLocal, type RecordedRequest } from '../testing/fake-server.ts';

export type FakeTeamsMessage = {
  id: string;
  replyToId: string | null;
  where: string;
  subject: string | null;
  body: { contentType: string; content: string };
  createdDateTime: string;
  webUrl: string | null;
};

export type TeamsFake = {
  /** Give as env.baseUrls.teams (the /v1.0 root). */
  url: string;
  token: string;
  teamId: string;
  channelId: string;
  chatId: string;
  requests: RecordedRequest[];
  messages(): FakeTeamsMessage[];
  revoke(): void;
  rotate(token: string): void;
  /** Route keys: `POST /teams/:team/channels/:channel/messages`, `POST …/messages/:id/replies`, `POST /chats/:chat/messages`. */
  fail(route: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

const Body = z.object({
  body: z.object({ contentType: z.enum(['text', 'html']).optional(), content: z.string() }),
  subject: z.string().nullable().optional(),
});

/**
 * A local Microsoft Graph v1.0 for Teams (https://learn.microsoft.com/graph/api/channel-post-messages): POST
 * /teams/{team-id}/channels/{channel-id}/messages, …/messages/{id}/replies and /chats/{chat-id}/messages, each 201
 * with a chatMessage; one team with one channel and one chat the user is in; Graph's error body.
 */
export async function startTeamsFake(): Promise<TeamsFake> {
  const base = createGraphFakeBase(
    (method, path) =>
      `${method} ${path
        .replace(/^\/teams\/[^/]+\/channels\/[^/]+/, '/teams/:team/channels/:channel')
        .replace(/\/messages\/[^/]+\/replies$/, '/messages/:id/replies')
        .replace(/^\/chats\/[^/]+/, '/chats/:chat')}`,
  );
  const { app } = base;
  const teamId = 'fbe2bf47-16c8-47cf-b4a5-4b9b187c508b';
  const channelId = '19:4a95f7d8db4c4e7fae857bcebe0623e6@thread.tacv2';
  const chatId = '19:2da4c29f6d7041eca70b638b43d45437@thread.v2';
  const messages: FakeTeamsMessage[] = [];
  let nextId = 1616965872395;

  const store = (where: string, replyToId: string | null, raw: unknown, webUrl: string | null) => {
    const body = Body.safeParse(raw);
    if (!body.success || body.data.body.content.trim() === '') return undefined;
    const id = String(nextId++);
    const message: FakeTeamsMessage = {
      id,
      replyToId,
      where,
      subject: body.data.subject ?? null,
      body: { contentType: body.data.body.contentType ?? 'text', content: body.data.body.content },
      createdDateTime: new Date().toISOString(),
      webUrl: webUrl ? `${webUrl}/${id}` : null,
    };
    messages.push(message);
    return message;
  };
  const invalid = () => graphError('BadRequest', 'Invalid request: body content is required.');

  app.post<{ Params: { team: string; channel: string } }>(
    '/v1.0/teams/:team/channels/:channel/messages',
    async (request, reply) => {
      if (request.params.team !== teamId || request.params.channel !== channelId)
        return base.notFound(reply, 'channel');
      const message = store(
        channelId,
        null,
        request.body,
        `https://teams.microsoft.com/l/message/${encodeURIComponent(channelId)}`,
      );
      if (!message) return reply.code(400).send(invalid());
      return reply.code(201).send({
        '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#chatMessage',
        ...message,
        where: undefined,
      });
    },
  );

  app.post<{ Params: { team: string; channel: string; id: string } }>(
    '/v1.0/teams/:team/channels/:channel/messages/:id/replies',
    async (request, reply) => {
      if (request.params.team !== teamId || request.params.channel !== channelId)
        return base.notFound(reply, 'channel');
      if (!messages.some((message) => message.id === request.params.id && message.where === channelId)) {
        return base.notFound(reply, 'message');
      }
      const message = store(
        channelId,
        request.params.id,
        request.body,
        `https://teams.microsoft.com/l/message/${encodeURIComponent(channelId)}`,
      );
      if (!message) return reply.code(400).send(invalid());
      return reply.code(201).send({ ...message, where: undefined });
    },
  );

  app.post<{ Params: { chat: string } }>('/v1.0/chats/:chat/messages', async (request, reply) => {
    if (request.params.chat !== chatId) {
      return reply
        .code(404)
        .send(graphError('NotFound', `Chat ${request.params.chat} not found or the user is not a member.`));
    }
    const message = store(chatId, null, request.body, null);
    if (!message) return reply.code(400).send(invalid());
    return reply.code(201).send({ ...message, where: undefined });
  });

  app.get('/v1.0/me', async () => ({ displayName: 'Adele Vance', mail: 'adele@contoso.com' }));

  const url = `${await listenLocal(app)}/v1.0`;
  return {
    url,
    get token() {
      return base.token();
    },
    teamId,
    channelId,
    chatId,
    requests: base.requests,
    messages: () => messages,
    revoke: base.revoke,
    rotate: base.rotate,
    fail: base.fail,
    close: () => app.close(),
  };
}
