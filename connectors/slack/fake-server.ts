import { createHash, randomUUID } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import {
  FailureQueue,
  type InjectedFailure,
  listenLocal,
  type RecordedRequest,
  recordRequest,
  sendFailure,
} from '../testing/fake-server.ts';

export type FakeSlackMessage = {
  type: 'message';
  ts: string;
  text: string;
  user?: string;
  bot_id?: string;
  thread_ts?: string;
  reply_broadcast?: boolean;
  blocks?: unknown;
  metadata?: { event_type: string; event_payload?: Record<string, unknown> };
  reactions?: { name: string; users: string[]; count: number }[];
  /** Files shared with the message (files.completeUploadExternal). */
  files?: { id: string; name: string; title: string }[];
};

/** A file the fake holds: uploaded through files.getUploadURLExternal, or added by the test as a person's. */
export type FakeSlackFile = {
  id: string;
  name: string;
  title: string;
  mimetype: string;
  /** The length files.getUploadURLExternal announced (the bytes' length for an added file). */
  length: number;
  /** The bytes received, once they were POSTed to the upload URL. */
  bytes?: Buffer;
  /** SHA-256 of the received bytes, lower-case hex. */
  sha256?: string;
  /** Where files.completeUploadExternal shared it. */
  shares: { channel: string; ts: string; threadTs?: string; initialComment?: string }[];
  completed: boolean;
};
export type FakeSlackChannel = { id: string; name: string; isMember: boolean };
export type FakeSlackUser = {
  id: string;
  name: string;
  email: string;
  real_name?: string;
  tz?: string;
  is_bot?: boolean;
};

/** One authenticated Web API call, its form or JSON arguments decoded (`blocks`, `metadata` parsed). */
export type FakeSlackCall = { method: string; args: Record<string, unknown> };

/** One Web API request as it arrived: when (Date.now()), with which token, and the HTTP status it was answered. */
export type FakeSlackHit = { method: string; token: string | undefined; at: number; status: number };

export type SlackFake = {
  /** The Web API base URL to give the WebClient as slackApiUrl (ends with `/api/`). */
  apiUrl: string;
  /** The bot token (xoxb-…) every method but apps.connections.open accepts. */
  token: string;
  /** The app-level token (xapp-…) apps.connections.open accepts, for Socket Mode. */
  appToken: string;
  /** The bot's user id, as auth.test answers it. */
  botUserId: string;
  /** The app's bot id (`bot_id` on its own messages), as auth.test answers it. */
  botId: string;
  requests: RecordedRequest[];
  /** Every Web API request, in order of arrival, with its time and answer status (rate-limit assertions). */
  hits: FakeSlackHit[];
  /** Every call that passed authentication, in order (clear it with `calls.length = 0`). */
  calls: FakeSlackCall[];
  /** Messages of a channel, oldest first. */
  messages(channelId: string): FakeSlackMessage[];
  /**
   * A message a person posted (a mention the bot answers in its thread). Returns the stored message; a message
   * with the same ts is kept as it is.
   */
  addMessage(
    channelId: string,
    message: { ts: string; text: string; user: string; thread_ts?: string },
  ): FakeSlackMessage;
  /**
   * Queue a failure for a Web API method (e.g. `chat.postMessage`): `{ status: 200, body: { ok: false, error } }`
   * for a Slack error, `{ status: 429, headers: { 'retry-after': '3' } }` for a rate limit. Supports `applyFirst`.
   */
  fail(method: string, failure: InjectedFailure): void;
  /** Files uploaded or added, oldest first. Failures for the byte routes are queued as `upload` and `download`. */
  files(): FakeSlackFile[];
  /** A file a person shared (for downloads): served at its `url_private` to the bot token. */
  addFile(file: { name: string; bytes: Buffer; mimetype?: string; title?: string }): FakeSlackFile & {
    url_private: string;
    url_private_download: string;
  };
  /** The file host's url_private of a file (on this fake's origin, as files.slack.com in production). */
  fileUrl(file: FakeSlackFile, download?: boolean): string;
  /** The token is revoked: every method answers `token_revoked`, files answer the sign-in page. */
  revokeToken(token: string): void;
  /** Downloads answer 302 to `url` + the file's path (undefined: serve the bytes). */
  redirectDownloadsTo(url: string | undefined): void;
  /**
   * The OAuth app and `oauth.v2.access` (client id and secret by HTTP Basic or as arguments), with token rotation
   * on: every grant answers a bot token (or, for a code issued `userOnly`, only `authed_user`'s user token), a
   * refresh token and expires_in 43200; a used refresh token is rotated away. Issued tokens pass every method.
   */
  oauth: {
    clientId: string;
    clientSecret: string;
    tokenUrl: string;
    /** A code as Slack puts on the redirect after the person allowed the app. */
    issueCode(options?: { userOnly?: boolean }): string;
    /** The refresh token no longer works (the app was uninstalled). */
    revoke(refreshToken: string): void;
    refreshGrants(): number;
  };
  close(): Promise<void>;
};

const BOT_USER = 'U0BOT00001';
const BOT_ID = 'B0BOT00001';

function parseMaybeJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

const truthy = (value: unknown) => value === true || value === 'true' || value === '1';

/** Form bodies carry objects as JSON strings (`blocks`, `metadata`); a call's record shows them parsed. */
function decodeArgs(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(args).map(([key, value]) => [
      key,
      typeof value === 'string' && /^[[{]/.test(value) ? parseMaybeJson(value) : value,
    ]),
  );
}

/**
 * A fastify app speaking Slack's Web API wire format: `POST /api/<method>` with a form or JSON body and the
 * token as `Authorization: Bearer`; every answer is HTTP 200 `{ ok: true, … }` or `{ ok: false, error }`,
 * except injected 429s (with Retry-After) and 5xx, and 429s past `rateLimit` when one is set. Records every request. Serves the connector's methods and
 * the bot's: auth.test, chat.update and, for Socket Mode, apps.connections.open (with the app token), which
 * answers `socketModeUrl` (a local WebSocket server the test runs).
 */
export async function startSlackFake(
  options: {
    token?: string;
    appToken?: string;
    teamId?: string;
    channels?: FakeSlackChannel[];
    users?: FakeSlackUser[];
    socketModeUrl?: string;
    /** More bot tokens accepted like `token` (a second workspace's credential). */
    extraTokens?: string[];
    /**
     * Enforce a rate limit per token, as Slack does: more than `requests` calls within any `windowMs` are answered
     * HTTP 429 with `Retry-After: retryAfterSeconds` (default 1) and not carried out.
     */
    rateLimit?: { requests: number; windowMs: number; retryAfterSeconds?: number };
    /** files.getUploadURLExternal answers file_upload_size_restricted above this length (default 1 GB, Slack's). */
    maxUploadBytes?: number;
    /** The origin of the upload URLs it answers (default its own; a test points it elsewhere to check they are refused). */
    uploadOrigin?: string;
  } = {},
): Promise<SlackFake> {
  const token = options.token ?? 'xoxb-fake-token-0001';
  const appToken = options.appToken ?? 'xapp-fake-token-0001';
  const teamId = options.teamId ?? 'T0000000001';
  const channels = options.channels ?? [
    { id: 'C0000000001', name: 'general', isMember: true },
    { id: 'C0000000002', name: 'secret-plans', isMember: false },
  ];
  const users = options.users ?? [
    {
      id: 'U0000000001',
      name: 'ada',
      email: 'ada@example.com',
      real_name: 'Ada Lovelace',
      tz: 'Europe/London',
    },
  ];
  const messages = new Map<string, FakeSlackMessage[]>(channels.map((channel) => [channel.id, []]));
  const requests: RecordedRequest[] = [];
  const hits: FakeSlackHit[] = [];
  const botTokens = new Set([token, ...(options.extraTokens ?? [])]);
  const oauthClient = { id: '1111111111.2222222222', secret: `slack-client-secret-${randomUUID()}` };
  const oauthCodes = new Map<string, { userOnly: boolean }>();
  const refreshTokens = new Map<string, { userOnly: boolean }>();
  let refreshGrants = 0;
  const calls: FakeSlackCall[] = [];
  const failures = new FailureQueue();
  const files = new Map<string, FakeSlackFile>();
  const pendingUploads = new Map<string, string>();
  const revoked = new Set<string>();
  let downloadRedirect: string | undefined;
  let base = '';
  let fileSequence = 0;
  const nextFileId = () => `F${String(++fileSequence).padStart(10, '0')}`;
  const filePath = (file: FakeSlackFile, download = false) =>
    `/files-pri/${teamId}-${file.id}/${download ? 'download/' : ''}${encodeURIComponent(file.name)}`;
  const fileObject = (file: FakeSlackFile) => ({
    id: file.id,
    name: file.name,
    title: file.title,
    mimetype: file.mimetype,
    size: file.bytes?.length ?? file.length,
    url_private: `${base}${filePath(file)}`,
    url_private_download: `${base}${filePath(file, true)}`,
    permalink: `https://fake.slack.com/files/${BOT_USER}/${file.id}/${encodeURIComponent(file.name)}`,
    shares: {},
  });
  let clock = 1_712_345_678;
  let sequence = 0;
  const nextTs = () => `${clock++}.${String(++sequence).padStart(6, '0')}`;

  const findChannel = (value: unknown) => {
    const key = String(value ?? '').replace(/^#/, '');
    return channels.find((channel) => channel.id === key || channel.name === key);
  };
  const findMessage = (channelId: string, ts: unknown) =>
    messages.get(channelId)?.find((message) => message.ts === ts);

  type Args = Record<string, unknown>;
  type Answer = Record<string, unknown>;
  const fail = (error: string, extra: Answer = {}): Answer => ({ ok: false, error, ...extra });
  const rotatedTokens = (userOnly: boolean) => {
    const access = `${userOnly ? 'xoxe.xoxp' : 'xoxe.xoxb'}-1-${randomUUID()}`;
    const refresh = `xoxe-1-${randomUUID()}`;
    botTokens.add(access);
    refreshTokens.set(refresh, { userOnly });
    return { access_token: access, refresh_token: refresh, expires_in: 43200 };
  };
  /** oauth.v2.access: errors as HTTP 200 `ok: false`, as Slack sends them. */
  const oauthAccess = (authorization: string | undefined, args: Args): Answer => {
    const basic = /^Basic (.+)$/.exec(authorization ?? '')?.[1];
    const [id, secret] = basic
      ? Buffer.from(basic, 'base64').toString('utf8').split(':').map(decodeURIComponent)
      : [String(args.client_id ?? ''), String(args.client_secret ?? '')];
    if (id !== oauthClient.id) return fail('invalid_client_id');
    if (secret !== oauthClient.secret) return fail('bad_client_secret');
    let grant: { userOnly: boolean } | undefined;
    if (args.grant_type === 'refresh_token') {
      grant = refreshTokens.get(String(args.refresh_token ?? ''));
      if (!grant) return fail('invalid_refresh_token');
      refreshTokens.delete(String(args.refresh_token));
      refreshGrants += 1;
    } else {
      grant = oauthCodes.get(String(args.code ?? ''));
      if (!grant) return fail('invalid_code');
      oauthCodes.delete(String(args.code));
    }
    const tokens = rotatedTokens(grant.userOnly);
    const user = { id: 'U0000000001', scope: grant.userOnly ? 'search:read' : '' };
    return {
      ok: true,
      app_id: 'A0FAKEAPP01',
      team: { id: teamId, name: 'Fake Team' },
      enterprise: null,
      is_enterprise_install: false,
      ...(grant.userOnly
        ? { authed_user: { ...user, token_type: 'user', ...tokens } }
        : {
            authed_user: user,
            scope: 'chat:write,reactions:write',
            token_type: 'bot',
            bot_user_id: BOT_USER,
            ...tokens,
          }),
    };
  };

  const methods: Record<string, (args: Args) => Answer> = {
    'auth.test': () => ({ ok: true, user_id: BOT_USER, bot_id: BOT_ID, team_id: teamId }),
    'apps.connections.open': () =>
      options.socketModeUrl ? { ok: true, url: options.socketModeUrl } : fail('internal_error'),
    'chat.update': (args) => {
      const channel = findChannel(args.channel);
      if (!channel) return fail('channel_not_found');
      const message = findMessage(channel.id, args.ts);
      if (!message) return fail('message_not_found');
      if (message.user !== BOT_USER) return fail('cant_update_message');
      const blocks = parseMaybeJson(args.blocks);
      if (!args.text && !blocks) return fail('no_text');
      if (args.text !== undefined) message.text = String(args.text);
      if (blocks) message.blocks = blocks;
      return { ok: true, channel: channel.id, ts: message.ts, text: message.text, message };
    },
    'chat.postMessage': (args) => {
      const channel = findChannel(args.channel);
      if (!channel) return fail('channel_not_found');
      if (!channel.isMember) return fail('not_in_channel');
      const blocks = parseMaybeJson(args.blocks);
      if (!args.text && !blocks) return fail('no_text');
      if (typeof args.text === 'string' && args.text.length > 40_000) return fail('msg_too_long');
      const threadTs = args.thread_ts === undefined ? undefined : String(args.thread_ts);
      if (threadTs && !findMessage(channel.id, threadTs)) return fail('thread_not_found');
      const metadata = parseMaybeJson(args.metadata) as FakeSlackMessage['metadata'];
      const message: FakeSlackMessage = {
        type: 'message',
        ts: nextTs(),
        text: String(args.text ?? ''),
        user: BOT_USER,
        bot_id: BOT_ID,
        ...(threadTs ? { thread_ts: threadTs, reply_broadcast: truthy(args.reply_broadcast) } : {}),
        ...(blocks ? { blocks } : {}),
        ...(metadata ? { metadata } : {}),
      };
      messages.get(channel.id)?.push(message);
      return { ok: true, channel: channel.id, ts: message.ts, message };
    },
    // chat.postEphemeral: shown only to `user` (who must be in the channel); answers { ok, message_ts }.
    'chat.postEphemeral': (args) => {
      const channel = findChannel(args.channel);
      if (!channel) return fail('channel_not_found');
      if (!channel.isMember) return fail('not_in_channel');
      if (typeof args.user !== 'string' || args.user === '') return fail('user_not_in_channel');
      const blocks = parseMaybeJson(args.blocks);
      if (!args.text && !blocks) return fail('no_text');
      return { ok: true, message_ts: nextTs() };
    },
    // conversations.info: { ok, channel: { id, name, is_channel, is_member, … } } or channel_not_found.
    'conversations.info': (args) => {
      const channel = channels.find((candidate) => candidate.id === args.channel);
      if (!channel) return fail('channel_not_found');
      return {
        ok: true,
        channel: {
          id: channel.id,
          name: channel.name,
          is_channel: true,
          is_private: false,
          is_member: channel.isMember,
        },
      };
    },
    'conversations.history': (args) => {
      const channel = channels.find((candidate) => candidate.id === args.channel);
      if (!channel) return fail('channel_not_found');
      if (!channel.isMember) return fail('not_in_channel');
      const limit = Number(args.limit ?? 100);
      const withMetadata = truthy(args.include_all_metadata);
      const top = (messages.get(channel.id) ?? []).filter(
        (message) => !message.thread_ts || message.reply_broadcast,
      );
      const page = top
        .slice()
        .reverse()
        .slice(0, limit)
        .map(({ metadata, ...rest }) => (withMetadata && metadata ? { ...rest, metadata } : rest));
      return { ok: true, messages: page, has_more: top.length > limit };
    },
    'conversations.replies': (args) => {
      const channel = channels.find((candidate) => candidate.id === args.channel);
      if (!channel) return fail('channel_not_found');
      const parent = findMessage(channel.id, args.ts);
      if (!parent) return fail('thread_not_found');
      const withMetadata = truthy(args.include_all_metadata);
      const thread = (messages.get(channel.id) ?? [])
        .filter((message) => message.ts === parent.ts || message.thread_ts === parent.ts)
        .map(({ metadata, ...rest }) => (withMetadata && metadata ? { ...rest, metadata } : rest));
      return { ok: true, messages: thread, has_more: false };
    },
    'reactions.add': (args) => {
      const channel = findChannel(args.channel);
      if (!channel) return fail('channel_not_found');
      const message = findMessage(channel.id, args.timestamp);
      if (!message) return fail('message_not_found');
      const name = String(args.name ?? '');
      if (!/^[a-z0-9_+'-]+$/.test(name) || name === 'not_an_emoji') return fail('invalid_name');
      message.reactions ??= [];
      const existing = message.reactions.find((reaction) => reaction.name === name);
      if (existing?.users.includes(BOT_USER)) return fail('already_reacted');
      if (existing) {
        existing.users.push(BOT_USER);
        existing.count++;
      } else message.reactions.push({ name, users: [BOT_USER], count: 1 });
      return { ok: true };
    },
    // files.getUploadURLExternal: { ok, upload_url, file_id } for `filename` and `length` (bytes).
    'files.getUploadURLExternal': (args) => {
      const filename = typeof args.filename === 'string' ? args.filename : '';
      const length = Number(args.length);
      if (filename === '' || !Number.isInteger(length) || length < 0) return fail('invalid_arguments');
      if (length > (options.maxUploadBytes ?? 1024 * 1024 * 1024)) return fail('file_upload_size_restricted');
      const file: FakeSlackFile = {
        id: nextFileId(),
        name: filename,
        title: filename,
        mimetype: 'application/octet-stream',
        length,
        shares: [],
        completed: false,
      };
      files.set(file.id, file);
      const uploadId = randomUUID();
      pendingUploads.set(uploadId, file.id);
      return {
        ok: true,
        upload_url: `${options.uploadOrigin ?? base}/upload/v1/${uploadId}`,
        file_id: file.id,
      };
    },
    // files.completeUploadExternal: files [{ id, title }] (JSON), channel_id, thread_ts, initial_comment.
    'files.completeUploadExternal': (args) => {
      const listed = parseMaybeJson(args.files);
      if (!Array.isArray(listed) || listed.length === 0) return fail('invalid_arguments');
      const chosen: FakeSlackFile[] = [];
      for (const entry of listed as { id?: unknown; title?: unknown }[]) {
        const file = files.get(String(entry?.id ?? ''));
        if (!file || file.bytes === undefined || file.completed) return fail('file_not_found');
        if (typeof entry.title === 'string' && entry.title !== '') file.title = entry.title;
        chosen.push(file);
      }
      if (args.channel_id !== undefined) {
        const channel = channels.find((candidate) => candidate.id === args.channel_id);
        if (!channel) return fail('channel_not_found');
        if (!channel.isMember) return fail('not_in_channel');
        const threadTs = args.thread_ts === undefined ? undefined : String(args.thread_ts);
        const initialComment = args.initial_comment === undefined ? undefined : String(args.initial_comment);
        const message: FakeSlackMessage = {
          type: 'message',
          ts: nextTs(),
          text: initialComment ?? '',
          user: BOT_USER,
          bot_id: BOT_ID,
          ...(threadTs ? { thread_ts: threadTs } : {}),
          files: chosen.map((file) => ({ id: file.id, name: file.name, title: file.title })),
        };
        messages.get(channel.id)?.push(message);
        for (const file of chosen) {
          file.shares.push({
            channel: channel.id,
            ts: message.ts,
            ...(threadTs ? { threadTs } : {}),
            ...(initialComment ? { initialComment } : {}),
          });
        }
      }
      for (const file of chosen) file.completed = true;
      return { ok: true, files: chosen.map(fileObject) };
    },
    'files.info': (args) => {
      const file = files.get(String(args.file ?? ''));
      if (!file?.completed) return fail('file_not_found');
      return { ok: true, file: fileObject(file) };
    },
    'users.lookupByEmail': (args) => {
      const user = users.find((candidate) => candidate.email === args.email);
      if (!user) return fail('users_not_found');
      const { email, ...rest } = user;
      return {
        ok: true,
        user: {
          ...rest,
          is_bot: user.is_bot ?? false,
          profile: { email, real_name: user.real_name, display_name: user.name },
        },
      };
    },
  };

  const app = Fastify({ logger: false });
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    },
  );
  /** Whether a call with `bearer` now would pass the configured rate limit (it then counts against it). */
  const overLimit = (bearer: string | undefined, now: number): boolean => {
    const limit = options.rateLimit;
    if (!limit) return false;
    const recent = hits.filter(
      (hit) => hit.token === bearer && hit.status !== 429 && hit.at > now - limit.windowMs,
    );
    return recent.length >= limit.requests;
  };
  app.post('/api/:method', async (request, reply): Promise<FastifyReply | Answer> => {
    requests.push(recordRequest(request));
    const method = (request.params as { method: string }).method;
    const args = (request.body ?? {}) as Args;
    const auth = request.headers.authorization ?? (args.token ? `Bearer ${String(args.token)}` : undefined);
    const bearer = auth?.replace(/^Bearer /, '');
    const hit: FakeSlackHit = { method, token: bearer, at: Date.now(), status: 200 };
    const limited = overLimit(bearer, hit.at);
    hits.push(hit);
    const failure = limited
      ? { status: 429, headers: { 'retry-after': String(options.rateLimit?.retryAfterSeconds ?? 1) } }
      : failures.take(method);
    const handler = methods[method];
    if (failure && !failure.applyFirst) {
      hit.status = failure.status;
      return sendFailure(reply, failure);
    }
    if (method === 'oauth.v2.access') return oauthAccess(request.headers.authorization, args);
    if (!auth) return fail('not_authed');
    if (revoked.has(bearer ?? '')) return fail('token_revoked');
    const allowed = method === 'apps.connections.open' ? bearer === appToken : botTokens.has(bearer ?? '');
    if (!allowed) {
      return fail(
        botTokens.has(bearer ?? '') || bearer === appToken ? 'not_allowed_token_type' : 'invalid_auth',
      );
    }
    if (!handler) return fail('unknown_method');
    calls.push({ method, args: decodeArgs(args) });
    const answer = handler(args);
    if (failure) {
      hit.status = failure.status;
      return sendFailure(reply, failure);
    }
    return answer;
  });
  // The bytes of an upload, raw (any content type) or as the one file of a multipart form: answers "OK - <length>".
  // In their own scope, every content type (JSON and text too) arrives as the raw bytes.
  await app.register(async (uploads) => {
    uploads.removeAllContentTypeParsers();
    uploads.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: 1024 * 1024 * 1024 },
      (_request, body, done) => done(null, body),
    );
    uploads.post('/upload/v1/:uploadId', { bodyLimit: 1024 * 1024 * 1024 }, async (request, reply) => {
      requests.push({ ...recordRequest(request), body: undefined });
      const failure = failures.take('upload');
      if (failure) return sendFailure(reply, failure);
      const fileId = pendingUploads.get((request.params as { uploadId: string }).uploadId);
      const file = fileId ? files.get(fileId) : undefined;
      if (!file) return reply.code(404).type('text/plain').send('Not Found');
      let bytes = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const type = String(request.headers['content-type'] ?? '');
      if (/^multipart\/form-data/i.test(type)) {
        const form = await new Request('http://fake/', {
          method: 'POST',
          headers: { 'content-type': type },
          body: new Uint8Array(bytes),
        }).formData();
        const part = [...form.values()].find((value) => typeof value !== 'string');
        bytes = part ? Buffer.from(await part.arrayBuffer()) : Buffer.alloc(0);
      } else if (type !== '') file.mimetype = type.split(';')[0]?.trim() || file.mimetype;
      pendingUploads.delete((request.params as { uploadId: string }).uploadId);
      file.bytes = bytes;
      file.sha256 = createHash('sha256').update(bytes).digest('hex');
      return reply.code(200).type('text/plain').send(`OK - ${bytes.length}`);
    });
  });
  // url_private and url_private_download: the bytes to a bot token; Slack's sign-in page (HTTP 200) to anyone else.
  const serveFile = async (request: FastifyRequest, reply: FastifyReply) => {
    requests.push(recordRequest(request));
    const failure = failures.take('download');
    if (failure) return sendFailure(reply, failure);
    const key = (request.params as { key: string }).key;
    const file = files.get(key.replace(`${teamId}-`, ''));
    if (!file?.bytes || !file.completed) return reply.code(404).type('text/plain').send('Not Found');
    const bearer = request.headers.authorization?.replace(/^Bearer /, '') ?? '';
    if (!botTokens.has(bearer) || revoked.has(bearer)) {
      return reply
        .code(200)
        .type('text/html; charset=utf-8')
        .send('<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in to Slack</body></html>');
    }
    if (downloadRedirect) return reply.redirect(`${downloadRedirect}${request.url}`, 302);
    return reply
      .code(200)
      .header('content-type', file.mimetype)
      .header('content-length', String(file.bytes.length))
      .header('content-disposition', `attachment; filename="${file.name.replace(/"/g, '')}"`)
      .send(file.bytes);
  };
  app.get('/files-pri/:key/download/:name', serveFile);
  app.get('/files-pri/:key/:name', serveFile);
  base = await listenLocal(app);
  return {
    apiUrl: `${base}/api/`,
    token,
    appToken,
    botUserId: BOT_USER,
    botId: BOT_ID,
    oauth: {
      clientId: oauthClient.id,
      clientSecret: oauthClient.secret,
      tokenUrl: `${base}/api/oauth.v2.access`,
      issueCode(issue = {}) {
        const code = `${randomUUID()}.${randomUUID()}`;
        oauthCodes.set(code, { userOnly: issue.userOnly === true });
        return code;
      },
      revoke: (refreshToken) => void refreshTokens.delete(refreshToken),
      refreshGrants: () => refreshGrants,
    },
    requests,
    hits,
    calls,
    messages: (channelId) => messages.get(channelId) ?? [],
    addMessage(channelId, message) {
      const list = messages.get(channelId);
      if (!list) throw new Error(`the Slack fake has no channel ${channelId}: pass it in options.channels`);
      const existing = list.find((candidate) => candidate.ts === message.ts);
      if (existing) return existing;
      const stored: FakeSlackMessage = { type: 'message', ...message };
      list.push(stored);
      return stored;
    },
    fail: (method, failure) => failures.add(method, failure),
    files: () => [...files.values()],
    addFile(added) {
      const file: FakeSlackFile = {
        id: nextFileId(),
        name: added.name,
        title: added.title ?? added.name,
        mimetype: added.mimetype ?? 'application/octet-stream',
        length: added.bytes.length,
        bytes: added.bytes,
        sha256: createHash('sha256').update(added.bytes).digest('hex'),
        shares: [],
        completed: true,
      };
      files.set(file.id, file);
      const object = fileObject(file);
      return { ...file, url_private: object.url_private, url_private_download: object.url_private_download };
    },
    fileUrl: (file, download) => `${base}${filePath(file, download)}`,
    revokeToken: (revokedToken) => void revoked.add(revokedToken),
    redirectDownloadsTo: (url) => {
      downloadRedirect = url;
    },
    close: () => app.close(),
  };
}
