import { z } from 'zod';
import { MESSAGE_SELECT, OutlookMessage, toOutlookMessage } from '../client.ts';
import { rest } from '../kit.ts';

const PAGE_SIZE = 50;
const MessagePage = z.object({
  value: z.array(z.unknown()).max(1000),
  '@odata.nextLink': z.string().optional(),
});

/** Graph's $search takes a quoted KQL string; quotes inside are dropped. */
const kql = (text: string) => `"${text.replace(/"/g, ' ')}"`;

export const listMessages = rest.list({
  key: 'listMessages',
  title: 'List or search Outlook mail',
  description:
    'List the newest messages of an Outlook mail folder, or search them: free text ($search, e.g. "invoice from:ana") or an OData $filter (e.g. "isRead eq false"), with sender, subject, text body and link.',
  effect: 'read',
  idempotent: true,
  input: z
    .strictObject({
      folder: z
        .string()
        .regex(/^[A-Za-z0-9=_-]{1,300}$/, 'a well-known folder name or a folder id')
        .default('inbox')
        .describe(
          'Folder: a well-known name (inbox, sentitems, drafts, archive, junkemail) or a folder id; default inbox.',
        ),
      search: z
        .string()
        .min(1)
        .max(500)
        .optional()
        .describe(
          'Free-text search (KQL), e.g. "quarterly report" or "from:ana@contoso.com"; results by relevance.',
        ),
      filter: z
        .string()
        .min(1)
        .max(1000)
        .optional()
        .describe(
          'An OData filter instead of search, e.g. "isRead eq false" or "hasAttachments eq true"; newest first.',
        ),
      limit: z
        .number()
        .int()
        .min(1)
        .max(500)
        .default(25)
        .describe('At most this many messages (1–500, default 25); pages of 50 are fetched as needed.'),
    })
    .refine((value) => !(value.search && value.filter), {
      message: 'give `search` or `filter`, not both (Graph does not combine them on messages)',
      path: ['filter'],
    }),
  output: z.object({
    messages: z.array(OutlookMessage).describe('The messages, newest first (by relevance with search).'),
    truncated: z.boolean().describe('True when more messages matched than `limit`.'),
  }),
  http: {
    method: 'GET',
    path: '/me/mailFolders/{folder}/messages',
    query: (input) => ({
      $select: MESSAGE_SELECT,
      $top: Math.min(PAGE_SIZE, input.limit),
      ...(input.search ? { $search: kql(input.search) } : { $orderby: 'receivedDateTime desc' }),
      // Graph wants the $orderby property first in $filter (else InefficientFilter).
      ...(input.filter ? { $filter: `receivedDateTime ge 1900-01-01T00:00:00Z and (${input.filter})` } : {}),
    }),
  },
  paginate: {
    style: 'nextUrl',
    items: (body) => MessagePage.parse(body).value,
    nextUrl: (body) => MessagePage.parse(body)['@odata.nextLink'],
    maxItems: (input) => input.limit,
  },
  project: (collected) => ({
    messages: collected.items.map(toOutlookMessage),
    truncated: collected.truncated,
  }),
});
