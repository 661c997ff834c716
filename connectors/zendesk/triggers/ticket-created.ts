import { z } from 'zod';
import { Ticket, toTicket } from '../client.ts';
import { rest } from '../kit.ts';

export const TicketCreatedFilters = z.strictObject({
  query: z
    .string()
    .max(500)
    .optional()
    .describe('More Zendesk search terms the new tickets must match, e.g. "tags:vip priority:urgent".'),
  intervalSeconds: z
    .number()
    .int()
    .min(30)
    .max(86_400)
    .default(60)
    .describe('Seconds between two polls (30–86400, default 60).'),
});

const SearchPage = z.object({ results: z.array(z.unknown()).max(100) });

/** Zendesk's search takes ISO times to the second: `created>2026-12-04T09:30:00Z`. */
function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export const ticketCreated = rest.poll({
  key: 'ticketCreated',
  title: 'New Zendesk ticket',
  description:
    'Starts the workflow for each new Zendesk ticket (polls the Search API for tickets created since the last poll, optionally narrowed by a search query).',
  with: TicketCreatedFilters,
  data: Ticket,
  sample: {
    id: 35436,
    url: 'https://acme.zendesk.com/agent/tickets/35436',
    subject: 'Refund for order 1042',
    description: 'I was charged twice for order 1042.',
    status: 'new',
    priority: 'high',
    type: 'question',
    tags: ['billing'],
    requesterId: 20978392,
    assigneeId: null,
    groupId: null,
    externalId: null,
    createdAt: '2026-12-04T09:30:00Z',
    updatedAt: '2026-12-04T09:30:00Z',
  },
  intervalMs: (filters) => filters.intervalSeconds * 1000,
  http: {
    method: 'GET',
    path: '/search.json',
    query: (filters) => ({
      query: ['type:ticket', filters.query].filter(Boolean).join(' '),
      sort_by: 'created_at',
      sort_order: 'desc',
      per_page: 100,
    }),
  },
  since: (after, filters) =>
    after
      ? {
          query: ['type:ticket', `created>${isoSeconds(after.at - 1000)}`, filters.query]
            .filter(Boolean)
            .join(' '),
        }
      : {},
  items: (body) => SearchPage.parse(body).results,
  item(raw) {
    const ticket = toTicket(raw);
    const at = Date.parse(ticket.createdAt ?? '');
    return Number.isFinite(at) ? { id: String(ticket.id), at, data: ticket } : undefined;
  },
});
