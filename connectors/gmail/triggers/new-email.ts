import { z } from 'zod';
import { definePollTrigger } from '../../sdk/define.ts';
import type { RestClient } from '../../sdk/rest/index.ts';
import { collectPages } from '../../sdk/rest/pagination.ts';
import { Email, type GmailCredential, toEmail } from '../client.ts';

/** Most messages one poll reads in full: the oldest new ones first, the rest on the next polls. */
export const MAX_MESSAGES_PER_POLL = 25;
/** Most ids one poll lists after the watermark (pages of 100). */
const MAX_LISTED = 500;
/** The first poll only records what is there: the newest few are enough to set the watermark. */
const FIRST_POLL_MESSAGES = 5;

export const NewEmailWith = z.strictObject({
  query: z
    .string()
    .max(2000)
    .default('in:inbox')
    .describe(
      'Only messages matching this Gmail search, e.g. "from:billing@acme.com has:attachment" (default "in:inbox").',
    ),
  intervalSeconds: z
    .number()
    .int()
    .min(1)
    .max(86_400)
    .default(60)
    .describe(
      'Seconds between two checks (default 60; each check is one list call plus one read per new message).',
    ),
});

const ListPage = z.object({
  messages: z.array(z.object({ id: z.string(), threadId: z.string() })).default([]),
  nextPageToken: z.string().optional(),
});

async function listIds(client: RestClient, q: string, limit: number, signal: AbortSignal): Promise<string[]> {
  const collected = await collectPages(
    client,
    { method: 'GET', path: '/users/me/messages', query: { q, maxResults: Math.min(100, limit) } },
    {
      style: 'cursor',
      cursorParam: 'pageToken',
      items: (body) => ListPage.parse(body).messages,
      nextCursor: (body) => ListPage.parse(body).nextPageToken,
      maxItems: () => limit,
    },
    {},
    signal,
  );
  return collected.items.map((entry) => z.object({ id: z.string() }).parse(entry).id);
}

export const newEmail = definePollTrigger<
  typeof NewEmailWith,
  typeof Email,
  z.ZodObject<Record<string, never>>,
  GmailCredential,
  RestClient
>({
  key: 'newEmail',
  title: 'New Gmail message',
  description:
    'Starts the workflow for each new Gmail message matching a Gmail search (default: the inbox), checked every intervalSeconds; the run gets sender, subject, text and HTML body and the attachment list.',
  kind: 'poll',
  with: NewEmailWith,
  data: Email,
  sample: {
    id: '18c2f0a1b2c3d4e5',
    threadId: '18c2f0a1b2c3d4e5',
    from: 'Ana Lopez <ana@example.com>',
    to: 'me@example.com',
    cc: '',
    subject: 'Invoice 2024-117',
    date: '2026-05-04T09:30:00.000Z',
    snippet: 'Hi, please find the invoice attached.',
    labelIds: ['INBOX', 'UNREAD'],
    messageIdHeader: '<CAF=abc123@mail.gmail.com>',
    text: 'Hi,\nplease find the invoice attached.\nAna',
    html: '',
    attachments: [
      { filename: 'invoice-2024-117.pdf', mimeType: 'application/pdf', size: 48213, attachmentId: 'ANGjdJ8' },
    ],
    replyTo: '',
    references: '',
  },
  intervalMs: (filters) => filters.intervalSeconds * 1000,
  state: z.strictObject({}),
  async poll(ctx, filters, request) {
    const base = filters.query.trim();
    // Gmail's after: takes epoch seconds; one second earlier keeps messages of the watermark's own second (the
    // runtime drops those it has seen).
    const q = request.after
      ? `${base} after:${Math.max(0, Math.floor(request.after.at / 1000) - 1)}`.trim()
      : base;
    const listed = await listIds(ctx.client, q, request.after ? MAX_LISTED : FIRST_POLL_MESSAGES, ctx.signal);
    // Gmail lists newest first; the oldest new ones are read first so a burst is worked off over several polls.
    const chosen = request.after ? listed.reverse().slice(0, MAX_MESSAGES_PER_POLL) : listed;
    const items = [];
    for (const id of chosen) {
      const response = await ctx.client.send(
        { method: 'GET', path: `/users/me/messages/${encodeURIComponent(id)}`, query: { format: 'full' } },
        ctx.signal,
      );
      const email = toEmail(response.body);
      items.push({ id: email.id, at: Date.parse(email.date) || 0, data: email });
    }
    return { items };
  },
});
