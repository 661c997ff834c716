import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { simpleParser } from 'mailparser';
import { z } from 'zod';
import {
  FailureQueue,
  type InjectedFailure,
  listenLocal,
  type RecordedRequest,
  recordRequest,
  sendFailure,
} from '../testing/fake-server.ts';
import type { GmailPart } from './client.ts';

export type FakeGmailMessage = {
  id: string;
  threadId: string;
  labelIds: string[];
  snippet: string;
  internalDate: string;
  payload: GmailPart;
  /** The RFC 2822 message as sent (sent messages and drafts only). */
  raw?: string;
};

export type FakeIncoming = {
  from: string;
  to?: string;
  subject: string;
  text: string;
  html?: string;
  messageIdHeader?: string;
  attachments?: { filename: string; mimeType: string; size: number }[];
  receivedAt?: Date;
  labelIds?: string[];
};

export type GmailFake = {
  /** Give as env.baseUrls.gmail (the /gmail/v1 root). */
  url: string;
  /** The access token the fake takes now. */
  token: string;
  emailAddress: string;
  requests: RecordedRequest[];
  messages(): FakeGmailMessage[];
  drafts(): { id: string; message: FakeGmailMessage }[];
  /** A message arrives in the inbox. */
  deliver(incoming: FakeIncoming): FakeGmailMessage;
  /** The token stops working (revoked at myaccount.google.com, or expired). */
  revoke(): void;
  /** The token the fake takes from now on (as after a renewal). */
  rotate(token: string): void;
  /**
   * Route keys: `POST /messages/send`, `GET /messages`, `GET /messages/:id`, `POST /messages/:id/modify`,
   * `POST /drafts`, `GET /labels`.
   */
  fail(route: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

/** Google's JSON error body (https://cloud.google.com/apis/design/errors, with the legacy `errors` list). */
export function googleError(code: number, status: string, message: string, reason: string) {
  return { error: { code, message, status, errors: [{ message, domain: 'global', reason }] } };
}

/** Gmail's documented ceiling for one message, attachments included. */
const MAX_UPLOAD_BYTES = 35 * 1024 * 1024;

const SYSTEM_LABELS = ['INBOX', 'SENT', 'DRAFT', 'UNREAD', 'STARRED', 'IMPORTANT', 'TRASH', 'SPAM'];

const hexId = () => randomBytes(8).toString('hex');
const b64 = (text: string) => Buffer.from(text).toString('base64url');

function payloadOf(
  headers: { name: string; value: string }[],
  text: string,
  html: string | undefined,
  attachments: { filename: string; mimeType: string; size: number }[],
): GmailPart {
  const parts: GmailPart[] = [
    {
      partId: '0',
      mimeType: 'text/plain',
      filename: '',
      headers: [],
      body: { size: text.length, data: b64(text) },
    },
  ];
  if (html !== undefined) {
    parts.push({
      partId: '1',
      mimeType: 'text/html',
      filename: '',
      headers: [],
      body: { size: html.length, data: b64(html) },
    });
  }
  attachments.forEach((attachment, index) => {
    parts.push({
      partId: String(parts.length),
      mimeType: attachment.mimeType,
      filename: attachment.filename,
      headers: [],
      body: { size: attachment.size, attachmentId: `ANGjdJ${index}${hexId()}` },
    });
  });
  return { partId: '', mimeType: 'multipart/mixed', filename: '', headers, body: { size: 0 }, parts };
}

const SendBody = z.object({ raw: z.string().min(1), threadId: z.string().optional() });
const DraftBody = z.object({ message: SendBody });
const ModifyBody = z.object({
  addLabelIds: z.array(z.string()).default([]),
  removeLabelIds: z.array(z.string()).default([]),
});

/** The subset of Gmail's search operators the fake understands; other words match the subject or the text. */
function matchesQuery(message: FakeGmailMessage, q: string): boolean {
  const header = (name: string) =>
    message.payload.headers?.find((entry) => entry.name.toLowerCase() === name)?.value.toLowerCase() ?? '';
  for (const term of q.trim().split(/\s+/).filter(Boolean)) {
    const [operator, ...rest] = term.split(':');
    const value = rest.join(':').toLowerCase();
    if (rest.length === 0) {
      const word = term.toLowerCase();
      if (!header('subject').includes(word) && !message.snippet.toLowerCase().includes(word)) return false;
    } else if (operator === 'after') {
      if (Number(message.internalDate) < Number(value) * 1000) return false;
    } else if (operator === 'from' || operator === 'to' || operator === 'subject') {
      if (!header(operator).includes(value)) return false;
    } else if (operator === 'in' || operator === 'label') {
      if (!message.labelIds.includes(value.toUpperCase())) return false;
    } else if (operator === 'is') {
      if (!message.labelIds.includes(value.toUpperCase())) return false;
    } else if (operator === 'has' && value === 'attachment') {
      if (!message.payload.parts?.some((part) => part.filename)) return false;
    }
  }
  return true;
}

/**
 * A local Gmail API v1 (https://developers.google.com/workspace/gmail/api/reference/rest): bearer tokens,
 * users.messages.send/list/get/modify, users.drafts.create, users.labels.list, users.getProfile; list paged by
 * `maxResults` and `pageToken`/`nextPageToken`, newest first; Google's error body on every failure.
 */
export async function startGmailFake(): Promise<GmailFake> {
  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 50 * 1024 * 1024 });
  const requests: RecordedRequest[] = [];
  const failures = new FailureQueue();
  const messages: FakeGmailMessage[] = [];
  const drafts: { id: string; message: FakeGmailMessage }[] = [];
  const labels = [
    ...SYSTEM_LABELS.map((id) => ({ id, name: id, type: 'system' })),
    { id: 'Label_12', name: 'Invoices', type: 'user' },
    { id: 'Label_13', name: 'Clients/Acme', type: 'user' },
  ];
  const emailAddress = 'me@example.com';
  let token = `ya29.${randomBytes(24).toString('base64url')}`;
  let clock = Date.parse('2026-05-04T09:00:00Z');

  const authorized = (request: FastifyRequest, reply: FastifyReply): boolean => {
    if (request.headers.authorization === `Bearer ${token}`) return true;
    void reply
      .code(401)
      .header('www-authenticate', 'Bearer realm="https://accounts.google.com/", error="invalid_token"')
      .send(
        googleError(
          401,
          'UNAUTHENTICATED',
          'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
          'authError',
        ),
      );
    return false;
  };
  const notFound = (reply: FastifyReply) =>
    reply.code(404).send(googleError(404, 'NOT_FOUND', 'Requested entity was not found.', 'notFound'));

  const store = (message: FakeGmailMessage) => {
    messages.push(message);
    return message;
  };

  async function fromRaw(
    raw: string,
    threadId: string | undefined,
    labelIds: string[],
  ): Promise<FakeGmailMessage> {
    const parsed = await simpleParser(Buffer.from(raw, 'base64url'));
    const headers = parsed.headerLines.map((line) => ({
      name: line.line.slice(0, line.line.indexOf(':')),
      value: line.line.slice(line.line.indexOf(':') + 1).trim(),
    }));
    const text = parsed.text ?? '';
    clock += 1000;
    return {
      id: hexId(),
      threadId: threadId ?? hexId(),
      labelIds,
      snippet: text.slice(0, 100),
      internalDate: String(clock),
      payload: payloadOf(
        headers,
        text,
        typeof parsed.html === 'string' ? parsed.html : undefined,
        parsed.attachments.map((attachment) => ({
          filename: attachment.filename ?? 'attachment',
          mimeType: attachment.contentType,
          size: attachment.size,
        })),
      ),
      raw,
    };
  }

  app.addHook('preHandler', async (request, reply) => {
    requests.push(recordRequest(request));
    const path = (request.url.split('?')[0] ?? '')
      .replace(/^(?:\/upload)?\/gmail\/v1\/users\/me/, '')
      .replace(/^\/messages\/(?!send$)[^/]+/, '/messages/:id');
    const failure = failures.take(`${request.method} ${path}`);
    if (failure) return sendFailure(reply, failure);
  });

  app.addContentTypeParser(
    'multipart/related',
    { parseAs: 'buffer', bodyLimit: MAX_UPLOAD_BYTES },
    (_request, body, done) => done(null, body),
  );

  /** A multipart/related upload: the JSON metadata part and the message/rfc822 part. */
  const readUpload = (request: FastifyRequest): { metadata: unknown; raw: string } | undefined => {
    const boundary = /boundary=([^;]+)/.exec(String(request.headers['content-type']))?.[1];
    if (!boundary || !Buffer.isBuffer(request.body)) return undefined;
    const text = request.body.toString('latin1');
    const parts = text.split(`--${boundary}`).slice(1, -1);
    const [metaPart, messagePart] = parts.map((part) =>
      part.slice(part.indexOf('\r\n\r\n') + 4).replace(/\r\n$/, ''),
    );
    if (metaPart === undefined || messagePart === undefined) return undefined;
    return {
      metadata: JSON.parse(metaPart || '{}'),
      raw: Buffer.from(messagePart, 'latin1').toString('base64url'),
    };
  };

  const uploadRoute = (kind: 'messages/send' | 'drafts') =>
    app.post<{ Querystring: { uploadType?: string } }>(
      `/upload/gmail/v1/users/me/${kind}`,
      async (request, reply) => {
        if (!authorized(request, reply)) return reply;
        const upload = request.query.uploadType === 'multipart' ? readUpload(request) : undefined;
        if (!upload) {
          return reply
            .code(400)
            .send(
              googleError(400, 'INVALID_ARGUMENT', 'Media type not supported for this upload.', 'badContent'),
            );
        }
        if (kind === 'drafts') {
          const meta = z
            .object({ message: z.object({ threadId: z.string().optional() }).default({}) })
            .parse(upload.metadata);
          const message = store(await fromRaw(upload.raw, meta.message.threadId, ['DRAFT']));
          const draft = { id: `r${Math.floor(Math.random() * 1e15)}`, message };
          drafts.push(draft);
          return {
            id: draft.id,
            message: { id: message.id, threadId: message.threadId, labelIds: message.labelIds },
          };
        }
        const meta = z.object({ threadId: z.string().optional() }).parse(upload.metadata);
        const message = store(await fromRaw(upload.raw, meta.threadId, ['SENT']));
        return { id: message.id, threadId: message.threadId, labelIds: message.labelIds };
      },
    );
  uploadRoute('messages/send');
  uploadRoute('drafts');

  app.post('/gmail/v1/users/me/messages/send', async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const body = SendBody.safeParse(request.body);
    if (!body.success) {
      return reply
        .code(400)
        .send(
          googleError(
            400,
            'INVALID_ARGUMENT',
            "'raw' RFC822 payload message string or uploading message via /upload/* URL required",
            'invalidArgument',
          ),
        );
    }
    const message = await fromRaw(body.data.raw, body.data.threadId, ['SENT']);
    if (!message.payload.headers?.some((header) => header.name.toLowerCase() === 'to')) {
      return reply
        .code(400)
        .send(googleError(400, 'INVALID_ARGUMENT', 'Invalid To header', 'invalidArgument'));
    }
    store(message);
    return { id: message.id, threadId: message.threadId, labelIds: message.labelIds };
  });

  app.get<{ Querystring: Record<string, string | string[] | undefined> }>(
    '/gmail/v1/users/me/messages',
    async (request, reply) => {
      if (!authorized(request, reply)) return reply;
      const q = typeof request.query.q === 'string' ? request.query.q : '';
      const wanted = [request.query.labelIds ?? []].flat();
      const maxResults = Number(request.query.maxResults ?? 100);
      if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 500) {
        return reply
          .code(400)
          .send(googleError(400, 'INVALID_ARGUMENT', 'Invalid maxResults', 'invalidArgument'));
      }
      const start = request.query.pageToken
        ? Number(Buffer.from(String(request.query.pageToken), 'base64url').toString())
        : 0;
      const matching = messages
        .filter((message) => !message.labelIds.includes('DRAFT'))
        .filter((message) => wanted.every((label) => message.labelIds.includes(label)))
        .filter((message) => matchesQuery(message, q))
        .sort((a, b) => Number(b.internalDate) - Number(a.internalDate));
      const page = matching.slice(start, start + maxResults);
      const next =
        start + maxResults < matching.length
          ? Buffer.from(String(start + maxResults)).toString('base64url')
          : undefined;
      return {
        ...(page.length > 0
          ? { messages: page.map((message) => ({ id: message.id, threadId: message.threadId })) }
          : {}),
        ...(next ? { nextPageToken: next } : {}),
        resultSizeEstimate: matching.length,
      };
    },
  );

  app.get<{ Params: { id: string }; Querystring: Record<string, string | string[] | undefined> }>(
    '/gmail/v1/users/me/messages/:id',
    async (request, reply) => {
      if (!authorized(request, reply)) return reply;
      const message = messages.find((candidate) => candidate.id === request.params.id);
      if (!message) return notFound(reply);
      const format = request.query.format ?? 'full';
      const { raw: _raw, ...visible } = message;
      if (format === 'full') return visible;
      const only = [request.query.metadataHeaders ?? []].flat().map((name) => name.toLowerCase());
      const headers = (message.payload.headers ?? []).filter(
        (header) => only.length === 0 || only.includes(header.name.toLowerCase()),
      );
      return {
        ...visible,
        payload: { partId: '', mimeType: message.payload.mimeType, filename: '', headers },
      };
    },
  );

  app.post<{ Params: { id: string } }>('/gmail/v1/users/me/messages/:id/modify', async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const message = messages.find((candidate) => candidate.id === request.params.id);
    if (!message) return notFound(reply);
    const body = ModifyBody.parse(request.body ?? {});
    const unknown = [...body.addLabelIds, ...body.removeLabelIds].find(
      (id) => !labels.some((label) => label.id === id),
    );
    if (unknown)
      return reply
        .code(400)
        .send(googleError(400, 'INVALID_ARGUMENT', `Invalid label: ${unknown}`, 'invalidArgument'));
    message.labelIds = [...new Set([...message.labelIds, ...body.addLabelIds])].filter(
      (id) => !body.removeLabelIds.includes(id),
    );
    return { id: message.id, threadId: message.threadId, labelIds: message.labelIds };
  });

  app.post('/gmail/v1/users/me/drafts', async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const body = DraftBody.safeParse(request.body);
    if (!body.success)
      return reply
        .code(400)
        .send(googleError(400, 'INVALID_ARGUMENT', 'Missing draft message', 'invalidArgument'));
    const message = store(await fromRaw(body.data.message.raw, body.data.message.threadId, ['DRAFT']));
    const draft = { id: `r${Math.floor(Math.random() * 1e15)}`, message };
    drafts.push(draft);
    return {
      id: draft.id,
      message: { id: message.id, threadId: message.threadId, labelIds: message.labelIds },
    };
  });

  app.get('/gmail/v1/users/me/labels', async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    return { labels };
  });

  app.get('/gmail/v1/users/me/profile', async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    return { emailAddress, messagesTotal: messages.length, threadsTotal: messages.length, historyId: '1234' };
  });

  const url = `${await listenLocal(app)}/gmail/v1`;
  return {
    url,
    get token() {
      return token;
    },
    emailAddress,
    requests,
    messages: () => messages,
    drafts: () => drafts,
    deliver(incoming) {
      clock = Math.max(clock + 1000, incoming.receivedAt?.getTime() ?? 0);
      const headers = [
        { name: 'From', value: incoming.from },
        { name: 'To', value: incoming.to ?? emailAddress },
        { name: 'Subject', value: incoming.subject },
        { name: 'Date', value: new Date(clock).toUTCString() },
        { name: 'Message-ID', value: incoming.messageIdHeader ?? `<${hexId()}@mail.example.com>` },
      ];
      return store({
        id: hexId(),
        threadId: hexId(),
        labelIds: incoming.labelIds ?? ['INBOX', 'UNREAD'],
        snippet: incoming.text.slice(0, 100),
        internalDate: String(clock),
        payload: payloadOf(headers, incoming.text, incoming.html, incoming.attachments ?? []),
      });
    },
    revoke() {
      token = `ya29.${randomBytes(24).toString('base64url')}`;
    },
    rotate(next) {
      token = next;
    },
    fail: (route, failure) => failures.add(route, failure),
    close: () => app.close(),
  };
}
