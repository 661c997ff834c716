import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { createGraphFakeBase, graphError } from '../microsoft/fake-graph.ts';
import { type InjectedFailure, listenLocal, type RecordedRequest } from '../testing/fake-server.ts';

type Recipient = { emailAddress: { address: string; name?: string } };

export type FakeOutlookMessage = {
  id: string;
  folder: string;
  conversationId: string;
  subject: string;
  bodyPreview: string;
  body: { contentType: string; content: string };
  from: Recipient;
  toRecipients: Recipient[];
  ccRecipients: Recipient[];
  receivedDateTime: string;
  isRead: boolean;
  hasAttachments: boolean;
  importance: string;
  webLink: string;
  internetMessageId: string;
};

export type OutlookFake = {
  /** Give as env.baseUrls.outlook (the /v1.0 root). */
  url: string;
  token: string;
  address: string;
  requests: RecordedRequest[];
  /** What /me/sendMail received, in order. */
  sent(): { message: Record<string, unknown>; saveToSentItems?: boolean }[];
  events(): Record<string, unknown>[];
  messages(): FakeOutlookMessage[];
  /** A message arrives in a folder (default inbox). */
  deliver(message: {
    from: string;
    subject: string;
    text: string;
    folder?: string;
    receivedAt?: Date;
  }): FakeOutlookMessage;
  revoke(): void;
  rotate(token: string): void;
  /** Route keys: `POST /me/sendMail`, `GET /me/mailFolders/:id/messages`, `POST /me/events`. */
  fail(route: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

const SendMailBody = z.object({
  message: z
    .object({
      subject: z.string().optional(),
      body: z.object({ contentType: z.enum(['Text', 'HTML', 'text', 'html']), content: z.string() }),
      toRecipients: z.array(z.object({ emailAddress: z.object({ address: z.string() }) })).min(1),
      attachments: z
        .array(
          z
            .object({
              '@odata.type': z.literal('#microsoft.graph.fileAttachment'),
              name: z.string(),
              contentBytes: z.string(),
            })
            .loose(),
        )
        .optional(),
    })
    .loose(),
  saveToSentItems: z.boolean().optional(),
});
const EventBody = z
  .object({
    subject: z.string(),
    start: z.object({ dateTime: z.string(), timeZone: z.string() }),
    end: z.object({ dateTime: z.string(), timeZone: z.string() }),
    transactionId: z.string().optional(),
    isOnlineMeeting: z.boolean().optional(),
    attendees: z
      .array(z.object({ emailAddress: z.object({ address: z.string() }), type: z.string() }))
      .optional(),
  })
  .loose();

/** Graph caps a request at 4 MB. */
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

/** `receivedDateTime ge 2026-…Z [and from/emailAddress/address eq '…']`, the filters the connector sends. */
function filterOf(filter: string | undefined): (message: FakeOutlookMessage) => boolean {
  if (!filter) return () => true;
  const since = /receivedDateTime ge (\S+Z)/.exec(filter)?.[1];
  const from = /from\/emailAddress\/address eq '((?:[^']|'')*)'/.exec(filter)?.[1]?.replace(/''/g, "'");
  const unread = /isRead eq false/.test(filter);
  return (message) =>
    (!since || Date.parse(message.receivedDateTime) >= Date.parse(since)) &&
    (!from || message.from.emailAddress.address.toLowerCase() === from.toLowerCase()) &&
    (!unread || !message.isRead);
}

/**
 * A local Microsoft Graph v1.0 for Outlook (https://learn.microsoft.com/graph/api/resources/mail-api-overview):
 * POST /me/sendMail (202, the 4 MB request cap), GET /me/mailFolders/{id}/messages with $top, $select, $orderby,
 * $filter (receivedDateTime ge, from address, isRead) and $search, paged by @odata.nextLink ($skip), POST /me/events
 * (deduplicated by transactionId), GET /me; Graph's error body and 401 InvalidAuthenticationToken.
 */
export async function startOutlookFake(): Promise<OutlookFake> {
  const base = createGraphFakeBase(
    (method, path) =>
      `${method} ${path.replace(/^\/me\/mailFolders\/[^/]+\/messages$/, '/me/mailFolders/:id/messages')}`,
  );
  const { app } = base;
  const address = 'adele@contoso.com';
  const sent: { message: Record<string, unknown>; saveToSentItems?: boolean }[] = [];
  const events: Record<string, unknown>[] = [];
  const messages: FakeOutlookMessage[] = [];
  let clock = Date.parse('2026-05-04T09:00:00Z');
  let url = '';

  app.post('/v1.0/me/sendMail', async (request, reply) => {
    if (Number(request.headers['content-length'] ?? 0) > MAX_REQUEST_BYTES) {
      return reply
        .code(413)
        .send(graphError('ErrorRequestEntityTooLarge', 'The request is larger than 4 MB.'));
    }
    const body = SendMailBody.safeParse(request.body);
    if (!body.success) {
      return reply
        .code(400)
        .send(graphError('ErrorInvalidRecipients', 'At least one recipient is not valid.'));
    }
    sent.push(body.data as { message: Record<string, unknown>; saveToSentItems?: boolean });
    return reply.code(202).send();
  });

  app.get<{ Params: { folder: string }; Querystring: Record<string, string | undefined> }>(
    '/v1.0/me/mailFolders/:folder/messages',
    async (request, reply) => {
      const { folder } = request.params;
      if (!['inbox', 'archive', 'sentitems', 'drafts', 'junkemail'].includes(folder.toLowerCase())) {
        return reply.code(404).send(graphError('ErrorInvalidIdMalformed', 'Id is malformed.'));
      }
      const search = request.query.$search;
      if (search && request.query.$orderby) {
        return reply
          .code(400)
          .send(
            graphError(
              'ErrorInvalidUrlQuery',
              "The query parameter '$orderby' is not supported with '$search'.",
            ),
          );
      }
      const filter = request.query.$filter;
      if (filter && request.query.$orderby && !filter.startsWith('receivedDateTime')) {
        return reply
          .code(400)
          .send(
            graphError(
              'InefficientFilter',
              'The restriction or sort order is too complex for this operation.',
            ),
          );
      }
      const top = Number(request.query.$top ?? 10);
      if (!Number.isInteger(top) || top < 1 || top > 1000) {
        return reply.code(400).send(graphError('ErrorInvalidUrlQuery', 'Invalid $top.'));
      }
      const skip = Number(request.query.$skip ?? 0);
      const words = (search ?? '').replace(/"/g, '').toLowerCase().split(/\s+/).filter(Boolean);
      const matching = messages
        .filter((message) => message.folder === folder.toLowerCase())
        .filter(filterOf(filter))
        .filter((message) =>
          words.every((word) => `${message.subject} ${message.body.content}`.toLowerCase().includes(word)),
        )
        .sort((a, b) => Date.parse(b.receivedDateTime) - Date.parse(a.receivedDateTime));
      const page = matching.slice(skip, skip + top);
      const next = new URL(`${url}/me/mailFolders/${folder}/messages`);
      for (const [name, value] of Object.entries(request.query))
        if (value !== undefined && name !== '$skip') next.searchParams.set(name, value);
      next.searchParams.set('$skip', String(skip + top));
      return {
        '@odata.context': `${url}/$metadata#users('${address}')/mailFolders('${folder}')/messages`,
        value: page.map(({ folder: _folder, ...message }) => message),
        ...(skip + top < matching.length ? { '@odata.nextLink': next.toString() } : {}),
      };
    },
  );

  app.post('/v1.0/me/events', async (request, reply) => {
    const body = EventBody.safeParse(request.body);
    if (!body.success)
      return reply.code(400).send(graphError('ErrorInvalidRequest', 'Your request is invalid.'));
    const earlier = events.find(
      (event) => body.data.transactionId && event.transactionId === body.data.transactionId,
    );
    if (earlier) return reply.code(201).send(earlier);
    const id = `AAMkAGVmMDEz${randomBytes(6).toString('hex')}=`;
    const event = {
      ...body.data,
      id,
      webLink: `https://outlook.office365.com/owa/?itemid=${encodeURIComponent(id)}&exvsurl=1&path=/calendar/item`,
      start: { ...body.data.start, dateTime: `${body.data.start.dateTime.slice(0, 19)}.0000000` },
      end: { ...body.data.end, dateTime: `${body.data.end.dateTime.slice(0, 19)}.0000000` },
      onlineMeeting: body.data.isOnlineMeeting
        ? { joinUrl: `https://teams.microsoft.com/l/meetup-join/${id}` }
        : null,
    };
    events.push(event);
    return reply.code(201).send(event);
  });

  app.get('/v1.0/me', async () => ({
    mail: address,
    userPrincipalName: address,
    displayName: 'Adele Vance',
  }));

  url = `${await listenLocal(app)}/v1.0`;
  return {
    url,
    get token() {
      return base.token();
    },
    address,
    requests: base.requests,
    sent: () => sent,
    events: () => events,
    messages: () => messages,
    deliver(incoming) {
      clock = Math.max(clock + 1000, incoming.receivedAt?.getTime() ?? 0);
      const id = `AAMkAG${randomBytes(8).toString('hex')}=`;
      const [, name, mail] = /^(?:(.*?)\s*<)?([^<>]+)>?$/.exec(incoming.from) ?? [];
      const message: FakeOutlookMessage = {
        id,
        folder: incoming.folder ?? 'inbox',
        conversationId: `AAQk${randomBytes(6).toString('hex')}=`,
        subject: incoming.subject,
        bodyPreview: incoming.text.slice(0, 255),
        body: { contentType: 'text', content: incoming.text },
        from: { emailAddress: { address: mail ?? incoming.from, ...(name ? { name } : {}) } },
        toRecipients: [{ emailAddress: { address, name: 'Adele Vance' } }],
        ccRecipients: [],
        receivedDateTime: new Date(clock).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        isRead: false,
        hasAttachments: false,
        importance: 'normal',
        webLink: `https://outlook.office365.com/owa/?ItemID=${encodeURIComponent(id)}&exvsurl=1&viewmodel=ReadMessageItem`,
        internetMessageId: `<${randomBytes(6).toString('hex')}@contoso.com>`,
      };
      messages.push(message);
      return message;
    },
    revoke: base.revoke,
    rotate: base.rotate,
    fail: base.fail,
    close: () => app.close(),
  };
}
