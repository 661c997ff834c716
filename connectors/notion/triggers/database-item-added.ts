import { z } from 'zod';
import { definePollTrigger } from '../../sdk/define.ts';
import type { RestClient } from '../../sdk/rest/index.ts';
import { queryPages } from '../actions/query-database.ts';
import { type NotionCredential, NotionId, Page, toPage } from '../client.ts';

export const DatabaseItemAddedFilters = z.strictObject({
  databaseId: NotionId.describe('The database to watch (the id in its URL).'),
  intervalSeconds: z
    .number()
    .int()
    .min(15)
    .max(86_400)
    .default(60)
    .describe('Seconds between two polls (15–86400). Default 60.'),
});

const NoState = z.strictObject({});
/** The first poll looks back this far: older items are "already there" at activation. */
const FIRST_POLL_LOOKBACK_MS = 24 * 60 * 60 * 1000;
/** Notion rounds created_time down to the minute: ask from the watermark's minute, the seen ids dedupe. */
const MINUTE_MS = 60_000;
const MAX_ITEMS = 500;

export const databaseItemAdded = definePollTrigger<
  typeof DatabaseItemAddedFilters,
  typeof Page,
  typeof NoState,
  NotionCredential,
  RestClient
>({
  key: 'databaseItemAdded',
  title: 'Notion database item added',
  description:
    'Starts the workflow once for each new item (page) added to a Notion database, polled every intervalSeconds (default 60). Items already there at activation start nothing.',
  kind: 'poll',
  with: DatabaseItemAddedFilters,
  data: Page,
  state: NoState,
  sample: {
    id: '59833787-2cf9-4fdf-8782-e53db20768a5',
    url: 'https://www.notion.so/Acme-Corp-598337872cf94fdf8782e53db20768a5',
    createdTime: '2026-12-04T09:30:00.000Z',
    lastEditedTime: '2026-12-04T09:30:00.000Z',
    archived: false,
    parentId: '2f6c1d0e-8a5b-4c3d-9e7f-0a1b2c3d4e5f',
    title: 'Acme Corp',
    properties: { Name: 'Acme Corp', Status: 'New', Amount: 1200 },
    rawProperties: {},
  } satisfies Page,
  intervalMs: (filters) => filters.intervalSeconds * 1000,
  async poll(ctx, filters, request) {
    const from = request.after
      ? Math.floor(request.after.at / MINUTE_MS) * MINUTE_MS
      : Date.now() - FIRST_POLL_LOOKBACK_MS;
    const { items } = await queryPages(
      ctx.client,
      filters.databaseId,
      {
        filter: { timestamp: 'created_time', created_time: { on_or_after: new Date(from).toISOString() } },
        sorts: [{ timestamp: 'created_time', direction: 'descending' }],
      },
      MAX_ITEMS,
      ctx.signal,
    );
    return {
      items: items.map((raw) => {
        const page = toPage(raw);
        return { id: page.id, at: Date.parse(page.createdTime), data: page };
      }),
    };
  },
});
