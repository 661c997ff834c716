import { z } from 'zod';
import { collectPages } from '../../sdk/rest/pagination.ts';
import { EmailSummary, SUMMARY_HEADERS, toSummary } from '../client.ts';
import { action } from '../kit.ts';

export const SearchEmailsInput = z.strictObject({
  query: z
    .string()
    .max(2000)
    .default('')
    .describe(
      'A Gmail search, as typed in Gmail’s search box, e.g. "from:billing@acme.com has:attachment newer_than:7d".',
    ),
  labelIds: z
    .array(z.string().min(1).max(100))
    .max(20)
    .optional()
    .describe('Only messages with all these label ids, e.g. ["INBOX", "UNREAD"].'),
  includeSpamTrash: z.boolean().default(false).describe('Also search Spam and Trash (default false).'),
  limit: z
    .number()
    .int()
    .min(1)
    .max(100)
    .default(20)
    .describe('At most this many messages, newest first (1–100, default 20).'),
});

const ListPage = z.object({
  messages: z.array(z.object({ id: z.string(), threadId: z.string() })).default([]),
  nextPageToken: z.string().optional(),
  resultSizeEstimate: z.number().optional(),
});

export const searchEmails = action({
  key: 'searchEmails',
  title: 'Search Gmail',
  description:
    'Find Gmail messages with a Gmail search query (from:, subject:, has:attachment, newer_than:, label:…), newest first, with sender, subject, date and snippet of each.',
  effect: 'read',
  idempotent: true,
  input: SearchEmailsInput,
  output: z.object({
    messages: z.array(EmailSummary).describe('Matching messages, newest first.'),
    truncated: z.boolean().describe('True when more messages matched than `limit`.'),
  }),
  async run(input, ctx) {
    const listed = await collectPages(
      ctx.client,
      {
        method: 'GET',
        path: '/users/me/messages',
        query: {
          q: input.query || undefined,
          labelIds: input.labelIds,
          includeSpamTrash: input.includeSpamTrash || undefined,
          maxResults: input.limit,
        },
      },
      {
        style: 'cursor',
        cursorParam: 'pageToken',
        items: (body) => ListPage.parse(body).messages,
        nextCursor: (body) => ListPage.parse(body).nextPageToken,
        maxItems: () => input.limit,
      },
      input,
      ctx.signal,
    );
    const messages: z.infer<typeof EmailSummary>[] = [];
    for (const entry of listed.items) {
      const { id } = z.object({ id: z.string() }).parse(entry);
      const response = await ctx.client.send(
        {
          method: 'GET',
          path: `/users/me/messages/${encodeURIComponent(id)}`,
          query: { format: 'metadata', metadataHeaders: [...SUMMARY_HEADERS] },
        },
        ctx.signal,
      );
      messages.push(toSummary(response.body));
    }
    return { messages, truncated: listed.truncated };
  },
});
