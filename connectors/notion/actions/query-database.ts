import { z } from 'zod';
import { defineAction } from '../../sdk/define.ts';
import { describeNamed } from '../../sdk/describe-target.ts';
import type { RestClient } from '../../sdk/rest/index.ts';
import { type NotionCredential, NotionId, Page, QueryPage, toPage } from '../client.ts';

const PAGE_SIZE = 100;
const MAX_PAGES = 10;

export const QueryDatabaseInput = z.strictObject({
  databaseId: NotionId.describe('The database to query (the id in its URL).'),
  filter: z
    .looseObject({})
    .optional()
    .describe(
      'A filter in the Notion API’s shape, e.g. {"property": "Status", "select": {"equals": "New"}}; default: every item.',
    ),
  sorts: z
    .array(z.looseObject({}))
    .max(10)
    .optional()
    .describe('Sorts in the Notion API’s shape, e.g. [{"property": "Due", "direction": "ascending"}].'),
  limit: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(100)
    .describe('At most this many items (1–1000, default 100); pages of 100 are fetched as needed.'),
});

/**
 * Notion's query pages are asked for in the POST body (`start_cursor`), not the query string: one request per
 * page until `has_more` is false, the limit is reached, or MAX_PAGES pages were fetched.
 */
export async function queryPages(
  client: RestClient,
  databaseId: string,
  body: Record<string, unknown>,
  limit: number,
  signal: AbortSignal,
): Promise<{ items: unknown[]; truncated: boolean }> {
  const items: unknown[] = [];
  let cursor: string | undefined;
  for (let page = 1; ; page++) {
    const response = await client.send(
      {
        method: 'POST',
        path: `/databases/${encodeURIComponent(databaseId)}/query`,
        json: { ...body, page_size: Math.min(PAGE_SIZE, limit), ...(cursor ? { start_cursor: cursor } : {}) },
      },
      signal,
    );
    const answer = QueryPage.parse(response.body);
    items.push(...answer.results);
    const next = answer.has_more ? answer.next_cursor : undefined;
    if (items.length >= limit)
      return { items: items.slice(0, limit), truncated: items.length > limit || !!next };
    if (!next || next === cursor || answer.results.length === 0) return { items, truncated: false };
    if (page >= MAX_PAGES) return { items, truncated: true };
    cursor = next;
  }
}

const QueryOutput = z.object({
  pages: z.array(Page).describe('The items, in the sort’s order (default: last edited first).'),
  truncated: z.boolean().describe('True when more items matched than `limit`.'),
});

/** Programmatic: Notion's cursor goes in the POST body, which the declarative pagination does not send. */
export const queryDatabase = defineAction<
  typeof QueryDatabaseInput,
  typeof QueryOutput,
  NotionCredential,
  RestClient
>({
  key: 'queryDatabase',
  title: 'Query a Notion database',
  description:
    'List the items (pages) of a Notion database, optionally filtered and sorted with Notion’s filter syntax; returns each item’s properties as plain values.',
  effect: 'read',
  idempotent: true,
  describeTarget: (withValue) => describeNamed('the Notion database', withValue.databaseId),
  input: QueryDatabaseInput,
  output: QueryOutput,
  async run(input, ctx) {
    const { items, truncated } = await queryPages(
      ctx.client,
      input.databaseId,
      { ...(input.filter ? { filter: input.filter } : {}), ...(input.sorts ? { sorts: input.sorts } : {}) },
      input.limit,
      ctx.signal,
    );
    return { pages: items.map(toPage), truncated };
  },
});
