import { z } from 'zod';
import { defineAction } from '../../sdk/define.ts';
import type { RestClient } from '../../sdk/rest/index.ts';
import { profileHeaders, Row, rowsOf, SchemaName, type SupabaseCredential, TableName } from '../client.ts';
import { Columns, Filters, filterQuery, Order, orderQuery } from '../filters.ts';

export const SelectRowsInput = z.strictObject({
  table: TableName,
  schema: SchemaName,
  columns: Columns.optional(),
  filters: Filters.optional(),
  order: Order.optional(),
  limit: z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(1000)
    .describe(
      'At most this many rows (1–10000, default 1000); pages of 1000 are fetched with Range headers.',
    ),
  count: z
    .boolean()
    .default(false)
    .describe('Also count every matching row (Prefer: count=exact), e.g. true.'),
});

const PAGE_SIZE = 1000;

const SelectRowsOutput = z.object({
  rows: z.array(Row).describe('The matching rows.'),
  total: z.number().int().nullable().describe('Every matching row counted (with count: true), else null.'),
  truncated: z.boolean().describe('True when more rows matched than `limit`.'),
});

/** `Content-Range: 0-999/2500` (or `*` for the total when no count was asked, `*\/0` for none). */
function totalOf(contentRange: string | null): number | null {
  const total = /\/(\d+)$/.exec(contentRange ?? '')?.[1];
  return total === undefined ? null : Number(total);
}

/**
 * PostgREST pages with `Range: from-to` (Range-Unit: items) and answers `Content-Range`; a page shorter than asked
 * is the last. One row beyond the limit is asked for, so `truncated` is known without counting.
 */
export const selectRows = defineAction<
  typeof SelectRowsInput,
  typeof SelectRowsOutput,
  SupabaseCredential,
  RestClient
>({
  key: 'selectRows',
  title: 'Read rows from a Supabase table',
  description:
    'Read rows of a Supabase (Postgres) table or view that match filters, sorted, with the columns you name; counts them too when asked.',
  effect: 'read',
  idempotent: true,
  input: SelectRowsInput,
  output: SelectRowsOutput,
  async run(input, ctx) {
    const wanted = input.limit + 1;
    const rows: z.infer<typeof Row>[] = [];
    let total: number | null = null;
    for (let from = 0; from < wanted; from += PAGE_SIZE) {
      const to = Math.min(wanted, from + PAGE_SIZE) - 1;
      const response = await ctx.client.send(
        {
          method: 'GET',
          path: `/rest/v1/${input.table}`,
          query: {
            select: (input.columns ?? ['*']).join(','),
            order: orderQuery(input.order),
            ...filterQuery(input.filters),
          },
          headers: {
            'range-unit': 'items',
            range: `${from}-${to}`,
            ...(input.count && from === 0 ? { prefer: 'count=exact' } : {}),
            ...profileHeaders(input.schema, false),
          },
        },
        ctx.signal,
      );
      const page = rowsOf(response.body);
      if (from === 0) total = totalOf(response.headers.get('content-range'));
      rows.push(...page.slice(0, to - from + 1));
      if (page.length < to - from + 1) break;
    }
    return { rows: rows.slice(0, input.limit), total, truncated: rows.length > input.limit };
  },
});
