import { z } from 'zod';
import { Ticket, toTicket } from '../client.ts';
import { rest } from '../kit.ts';

const PAGE_SIZE = 100;
const ExportPage = z.object({
  results: z.array(z.unknown()).max(1000),
  meta: z.object({ has_more: z.boolean().optional() }).loose().optional(),
  links: z.object({ next: z.string().nullable().optional() }).loose().optional(),
});

export const searchTickets = rest.list({
  key: 'searchTickets',
  title: 'Search Zendesk tickets',
  description:
    'Find Zendesk tickets with a Zendesk search query (status, tags, requester, dates…); pages through the results up to `limit`.',
  effect: 'read',
  idempotent: true,
  input: z.strictObject({
    query: z
      .string()
      .min(1)
      .max(1000)
      .describe('Zendesk search syntax, e.g. "status<solved tags:vip" or "requester:ana@example.com".'),
    limit: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(100)
      .describe('At most this many tickets (1–1000, default 100).'),
  }),
  output: z.object({
    tickets: z.array(Ticket).describe('Matching tickets.'),
    truncated: z.boolean().describe('True when more tickets matched than `limit`.'),
  }),
  // The export endpoint pages with a cursor (page[size], links.next) and has no 1000-result cap.
  http: {
    method: 'GET',
    path: '/search/export.json',
    query: (input) => ({
      query: input.query,
      'filter[type]': 'ticket',
      'page[size]': Math.min(PAGE_SIZE, input.limit),
    }),
  },
  paginate: {
    style: 'nextUrl',
    items: (body) => ExportPage.parse(body).results,
    nextUrl: (body) => {
      const page = ExportPage.parse(body);
      return page.meta?.has_more === false ? undefined : page.links?.next;
    },
    maxItems: (input) => input.limit,
    maxPages: 20,
  },
  project: (collected) => ({ tickets: collected.items.map(toTicket), truncated: collected.truncated }),
});
