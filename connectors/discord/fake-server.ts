import { createHash } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import {
  FailureQueue,
  type InjectedFailure,
  listenLocal,
  type RecordedRequest,
  recordRequest,
  sendFailure,
} from '../testing/fake-server.ts';

export type FakeDiscordMessage = {
  id: string;
  channel_id: string;
  content: string;
  embeds: unknown[];
  components?: unknown[];
  nonce?: string | number;
  author: { id: string; username: string; bot?: boolean };
  webhook_id?: string;
  timestamp: string;
  attachments: FakeDiscordAttachment[];
};

/** An attachment as Discord answers it. */
export type FakeDiscordAttachment = {
  id: string;
  filename: string;
  size: number;
  content_type: string;
  url: string;
};

/** One `files[n]` part as it arrived, with the SHA-256 of its bytes. */
export type FakeDiscordUpload = {
  field: string;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
};

export type DiscordFake = {
  /** The base URL to give as env.baseUrls.discord (the client appends /api/v10). */
  url: string;
  /** The REST base URL to give discord.js (`api` option; it appends /v10). */
  apiUrl: string;
  botToken: string;
  /** The application whose interaction tokens the webhook endpoints accept (follow-ups, `@original` edits). */
  applicationId: string;
  /** A webhook URL (on discord.com, as users copy it) whose id and token the fake knows. */
  webhookUrl: string;
  channelId: string;
  /** A channel that exists but the bot cannot see (answers 50001 Missing Access). */
  hiddenChannelId: string;
  /** Every request; a multipart one is recorded with its payload_json as the body. */
  requests: RecordedRequest[];
  /** The files[n] parts of every multipart request that passed the checks, in order. */
  uploads: FakeDiscordUpload[];
  messages(channelId: string): FakeDiscordMessage[];
  /** Messages of one interaction (its `@original` response and follow-ups), oldest first. */
  interactionMessages(interactionToken: string): FakeDiscordMessage[];
  /**
   * Queue a failure for `POST /channels/:channelId/messages` or `POST /webhooks/:webhookId/:token`. A rate limit is
   * `{ status: 429, headers: { 'retry-after': '2', 'x-ratelimit-scope': 'user' }, body: { message, retry_after: 2, global: false } }`.
   * Supports `applyFirst`.
   */
  fail(route: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

type InteractionBody = { content?: string; embeds?: unknown[]; components?: unknown[] };

const BOT = { id: '111111111111111111', username: 'vmesh-bot', bot: true };
const MiB = 1024 * 1024;
/** Discord's default upload limit per file. */
const MAX_FILE_BYTES = 20 * MiB;

type ParsedForm =
  | { payload: Record<string, unknown>; uploads: FakeDiscordUpload[] }
  | { status: number; error: Record<string, unknown> };

const formError = (field: string, code: string, message: string) => ({
  status: 400,
  error: { code: 50035, message: 'Invalid Form Body', errors: { [field]: { _errors: [{ code, message }] } } },
});

/**
 * A multipart/form-data message body as Discord reads it: the JSON in `payload_json`, each file in a `files[n]`
 * part with a filename, at most 10, each within the upload limit; every `attachments[].id` names a sent part.
 */
async function parseMessageForm(request: FastifyRequest): Promise<ParsedForm> {
  const form = await new Request('http://fake/', {
    method: 'POST',
    headers: { 'content-type': String(request.headers['content-type'] ?? '') },
    body: new Uint8Array(request.body as Buffer),
  }).formData();
  let payload: Record<string, unknown> = {};
  const uploads: FakeDiscordUpload[] = [];
  for (const [name, value] of form) {
    if (name === 'payload_json') {
      try {
        payload = JSON.parse(String(value)) as Record<string, unknown>;
      } catch {
        return { status: 400, error: { code: 50109, message: 'The request body contains invalid JSON.' } };
      }
    } else if (/^files\[\d+\]$/.test(name)) {
      if (typeof value === 'string' || !value.name)
        return formError(name, 'BASE_TYPE_REQUIRED', 'File is required.');
      if (value.size > MAX_FILE_BYTES)
        return { status: 413, error: { code: 40005, message: 'Request entity too large' } };
      const bytes = Buffer.from(await value.arrayBuffer());
      uploads.push({
        field: name,
        filename: value.name,
        contentType: value.type || 'application/octet-stream',
        size: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      });
    } else if (typeof value === 'string') payload[name] = value;
  }
  if (uploads.length > 10)
    return formError('attachments', 'BASE_TYPE_MAX_LENGTH', 'Must be 10 or fewer in length.');
  const listed = Array.isArray(payload.attachments) ? (payload.attachments as { id?: unknown }[]) : [];
  for (const [index, attachment] of listed.entries()) {
    if (!uploads.some((upload) => upload.field === `files[${String(attachment?.id)}]`)) {
      return formError(`attachments.${index}.id`, 'ATTACHMENT_NOT_FOUND', 'Unknown attachment id.');
    }
  }
  return { payload, uploads };
}

/**
 * A fastify app speaking Discord's REST wire format (v10) for creating messages and executing webhooks:
 * errors as `{ code, message, errors? }` (10003, 10008, 10015, 50001, 50006, 50035, 401 `{ message: '401: Unauthorized', code: 0 }`),
 * nonce deduplication with `enforce_nonce`, rate-limit headers on every answer. For the bots it also serves
 * the interaction webhooks of `applicationId` (follow-ups, which always answer the message, and edits of
 * `@original`; any interaction token is accepted, since the test sends the interactions) and
 * `GET /gateway/bot`, which names `gatewayUrl` (a local Gateway server the test runs).
 */
export async function startDiscordFake(
  options: { botToken?: string; applicationId?: string; channelIds?: string[]; gatewayUrl?: string } = {},
): Promise<DiscordFake> {
  const botToken = options.botToken ?? 'fake-bot-token.aaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbb';
  const applicationId = options.applicationId ?? '666666666666666666';
  const channelId = '222222222222222222';
  const hiddenChannelId = '333333333333333333';
  const webhookId = '444444444444444444';
  const webhookToken = 'webhook-token-abcdefghijklmnopqrstuvwxyz';
  const messages = new Map<string, FakeDiscordMessage[]>([
    [channelId, []],
    [hiddenChannelId, []],
    ...(options.channelIds ?? []).map((id): [string, FakeDiscordMessage[]] => [id, []]),
  ]);
  const interactions = new Map<string, FakeDiscordMessage[]>();
  const requests: RecordedRequest[] = [];
  const uploads: FakeDiscordUpload[] = [];
  /** The files of a multipart request, until its route makes them a message's attachments. */
  const formFiles = new WeakMap<FastifyRequest, FakeDiscordUpload[]>();
  const attachmentsOf = (request: FastifyRequest): FakeDiscordAttachment[] =>
    (formFiles.get(request) ?? []).map((upload) => {
      snowflake += 1n;
      return {
        id: String(snowflake),
        filename: upload.filename,
        size: upload.size,
        content_type: upload.contentType,
        url: `https://cdn.discordapp.com/attachments/${channelId}/${snowflake}/${encodeURIComponent(upload.filename)}`,
      };
    });
  const failures = new FailureQueue();
  let snowflake = 900_000_000_000_000_000n;

  const error = (reply: FastifyReply, status: number, code: number, message: string, errors?: unknown) =>
    reply.code(status).send({ code, message, ...(errors ? { errors } : {}) });

  const validate = (
    reply: FastifyReply,
    body: { content?: unknown; embeds?: unknown },
    request?: FastifyRequest,
  ) => {
    const content = typeof body.content === 'string' ? body.content : '';
    const embeds = Array.isArray(body.embeds) ? body.embeds : [];
    if (content.length > 2000) {
      return error(reply, 400, 50035, 'Invalid Form Body', {
        content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }] },
      });
    }
    if (embeds.length > 10) {
      return error(reply, 400, 50035, 'Invalid Form Body', {
        embeds: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 10 or fewer in length.' }] },
      });
    }
    const meaningful = embeds.filter(
      (embed) => embed && typeof embed === 'object' && Object.keys(embed).length > 0,
    );
    const files = request ? (formFiles.get(request) ?? []) : [];
    if (content === '' && meaningful.length === 0 && files.length === 0)
      return error(reply, 400, 50006, 'Cannot send an empty message');
    return undefined;
  };

  const app = Fastify({ logger: false });
  app.addContentTypeParser(
    'multipart/form-data',
    { parseAs: 'buffer', bodyLimit: 256 * MiB },
    (_request, body, done) => done(null, body),
  );
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('x-ratelimit-limit', '5');
    reply.header('x-ratelimit-remaining', '4');
    reply.header('x-ratelimit-reset-after', '1');
    reply.header('x-ratelimit-bucket', 'fakebucket');
  });
  app.addHook('preHandler', async (request, reply) => {
    if (/^multipart\/form-data/i.test(String(request.headers['content-type'] ?? ''))) {
      const parsed = await parseMessageForm(request);
      request.body = 'payload' in parsed ? parsed.payload : undefined;
      requests.push(recordRequest(request));
      if (!('payload' in parsed)) return reply.code(parsed.status).send(parsed.error);
      formFiles.set(request, parsed.uploads);
    } else requests.push(recordRequest(request));
    const failure = failures.take(
      `${request.method} ${(request.routeOptions.url ?? request.url).replace('/api/v10', '')}`,
    );
    if (failure && !failure.applyFirst) return sendFailure(reply, failure);
    if (failure) (request as unknown as { lateFailure?: InjectedFailure }).lateFailure = failure;
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const late = (request as unknown as { lateFailure?: InjectedFailure }).lateFailure;
    if (!late) return payload;
    reply.code(late.status);
    for (const [name, value] of Object.entries(late.headers ?? {})) reply.header(name, value);
    reply.header('content-type', 'application/json');
    return JSON.stringify(late.body ?? { message: 'Internal Server Error', code: 0 });
  });

  app.post('/api/v10/channels/:channelId/messages', async (request, reply) => {
    if (request.headers.authorization !== `Bot ${botToken}`) return error(reply, 401, 0, '401: Unauthorized');
    const { channelId: target } = request.params as { channelId: string };
    const list = messages.get(target);
    if (!list) return error(reply, 404, 10003, 'Unknown Channel');
    if (target === hiddenChannelId) return error(reply, 403, 50001, 'Missing Access');
    const body = (request.body ?? {}) as {
      content?: string;
      embeds?: unknown[];
      components?: unknown[];
      nonce?: string | number;
      enforce_nonce?: boolean;
    };
    const invalid = validate(reply, body, request);
    if (invalid) return invalid;
    if (body.nonce !== undefined && String(body.nonce).length > 25) {
      return error(reply, 400, 50035, 'Invalid Form Body', {
        nonce: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 25 or fewer in length.' }] },
      });
    }
    if (body.enforce_nonce && body.nonce !== undefined) {
      const earlier = list.find((message) => message.nonce === body.nonce && message.author.id === BOT.id);
      if (earlier) return earlier;
    }
    snowflake += 1n;
    const message: FakeDiscordMessage = {
      id: String(snowflake),
      channel_id: target,
      content: body.content ?? '',
      embeds: body.embeds ?? [],
      ...(body.components ? { components: body.components } : {}),
      ...(body.nonce === undefined ? {} : { nonce: body.nonce }),
      author: BOT,
      timestamp: new Date().toISOString(),
      attachments: attachmentsOf(request),
    };
    uploads.push(...(formFiles.get(request) ?? []));
    list.push(message);
    return message;
  });

  // Create DM: { recipient_id } → a DM channel object (type 1); messages can then be posted to its id.
  app.post('/api/v10/users/@me/channels', async (request, reply) => {
    if (request.headers.authorization !== `Bot ${botToken}`) return error(reply, 401, 0, '401: Unauthorized');
    const recipient = (request.body as { recipient_id?: unknown } | undefined)?.recipient_id;
    if (typeof recipient !== 'string' || !/^\d+$/.test(recipient))
      return error(reply, 400, 50035, 'Invalid Form Body');
    const id = `9${recipient}`;
    if (!messages.has(id)) messages.set(id, []);
    return { id, type: 1, recipients: [{ id: recipient }] };
  });

  const interactionMessage = (body: InteractionBody): FakeDiscordMessage => {
    snowflake += 1n;
    return {
      id: String(snowflake),
      channel_id: channelId,
      content: body.content ?? '',
      embeds: body.embeds ?? [],
      ...(body.components ? { components: body.components } : {}),
      author: { id: applicationId, username: 'vmesh-bot', bot: true },
      webhook_id: applicationId,
      timestamp: new Date().toISOString(),
      attachments: [],
    };
  };

  app.get('/api/v10/gateway/bot', async (request, reply) => {
    if (request.headers.authorization !== `Bot ${botToken}`) return error(reply, 401, 0, '401: Unauthorized');
    return {
      url: options.gatewayUrl ?? 'ws://127.0.0.1:1',
      shards: 1,
      session_start_limit: { total: 1000, remaining: 1000, reset_after: 0, max_concurrency: 1 },
    };
  });

  app.patch('/api/v10/webhooks/:webhookId/:token/messages/:messageId', async (request, reply) => {
    const params = request.params as { webhookId: string; token: string; messageId: string };
    if (params.webhookId !== applicationId) return error(reply, 404, 10015, 'Unknown Webhook');
    const body = (request.body ?? {}) as InteractionBody;
    if (typeof body.content === 'string' && body.content.length > 2000) return validate(reply, body);
    const list = interactions.get(params.token) ?? [];
    interactions.set(params.token, list);
    // A deferred response (type 5 or 6) left the original message for the follow-ups to edit.
    let message =
      params.messageId === '@original'
        ? list[0]
        : list.find((candidate) => candidate.id === params.messageId);
    if (!message && params.messageId !== '@original') return error(reply, 404, 10008, 'Unknown Message');
    if (!message) {
      message = interactionMessage({});
      list.unshift(message);
    }
    if (body.content !== undefined) message.content = body.content;
    if (body.embeds !== undefined) message.embeds = body.embeds;
    if (body.components !== undefined) message.components = body.components;
    return message;
  });

  app.post('/api/v10/webhooks/:webhookId/:token', async (request, reply) => {
    const params = request.params as { webhookId: string; token: string };
    if (params.webhookId === applicationId) {
      // An interaction follow-up: like executing a webhook, but `wait` is always true.
      const body = (request.body ?? {}) as InteractionBody;
      const invalid = validate(reply, body);
      if (invalid) return invalid;
      const list = interactions.get(params.token) ?? [];
      interactions.set(params.token, list);
      const message = interactionMessage(body);
      list.push(message);
      return message;
    }
    if (params.webhookId !== webhookId || params.token !== webhookToken)
      return error(reply, 404, 10015, 'Unknown Webhook');
    const body = (request.body ?? {}) as { content?: string; embeds?: unknown[]; username?: string };
    const invalid = validate(reply, body, request);
    if (invalid) return invalid;
    snowflake += 1n;
    const message: FakeDiscordMessage = {
      id: String(snowflake),
      channel_id: channelId,
      content: body.content ?? '',
      embeds: body.embeds ?? [],
      author: { id: webhookId, username: body.username ?? 'Captain Hook' },
      webhook_id: webhookId,
      timestamp: new Date().toISOString(),
      attachments: attachmentsOf(request),
    };
    uploads.push(...(formFiles.get(request) ?? []));
    messages.get(channelId)?.push(message);
    const wait = (request.query as { wait?: string }).wait === 'true';
    return wait ? message : reply.code(204).send();
  });

  const url = await listenLocal(app);
  return {
    url,
    apiUrl: `${url}/api`,
    botToken,
    applicationId,
    webhookUrl: `https://discord.com/api/webhooks/${webhookId}/${webhookToken}`,
    channelId,
    hiddenChannelId,
    requests,
    uploads,
    messages: (id) => messages.get(id) ?? [],
    interactionMessages: (token) => interactions.get(token) ?? [],
    fail: (route, failure) => failures.add(route, failure),
    close: () => app.close(),
  };
}
