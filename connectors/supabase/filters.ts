import { z } from 'zod';
import { ConnectorError } from '../sdk/connector-error.ts';

/** Query parameter names PostgREST reads itself: a column of that name could not be filtered without confusion. */
const RESERVED = new Set([
  'select',
  'order',
  'limit',
  'offset',
  'on_conflict',
  'columns',
  'and',
  'or',
  'not',
]);

export const Identifier = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]{0,62}$/,
    'a Postgres name: letters, digits and _, not starting with a digit',
  );

export const ColumnName = Identifier.refine(
  (name) => !RESERVED.has(name.toLowerCase()),
  'a column name PostgREST does not reserve (select, order, limit, offset, on_conflict, columns, and, or, not)',
).describe('A column name, e.g. "status".');

const Scalar = z.union([z.string().max(10_000), z.number(), z.boolean()]);

const Filter = z
  .strictObject({
    column: ColumnName,
    op: z
      .enum(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'is', 'in'])
      .describe(
        'eq, neq, gt, gte, lt, lte, like / ilike (with % as wildcard), is (null, true or false), in (a list), e.g. "eq".',
      ),
    value: z
      .union([Scalar, z.null(), z.array(Scalar).max(1000)])
      .describe('The value, e.g. "paid"; a list for in, e.g. ["new", "paid"]; null, true or false for is.'),
    not: z.boolean().optional().describe('Negate it (PostgREST not.), e.g. true for "status is not paid".'),
  })
  .describe('One condition on a column, e.g. { "column": "status", "op": "eq", "value": "paid" }.');
export type Filter = z.infer<typeof Filter>;

export const Filters = z
  .array(Filter)
  .max(50)
  .describe('Conditions all rows must meet (AND), e.g. [{ "column": "id", "op": "eq", "value": 42 }].');

/** A value inside in.(…): quoted when it holds a character PostgREST reserves there, with " and \ escaped. */
function listItem(value: string | number | boolean): string {
  const text = String(value);
  return /[,.:()"\\\s]/.test(text) || text === '' ? `"${text.replace(/["\\]/g, (c) => `\\${c}`)}"` : text;
}

function badFilter(filter: Filter, why: string): ConnectorError {
  return new ConnectorError({
    code: 'E_PARAMS',
    message: `supabase: the filter on "${filter.column}" (${filter.op}) ${why}.`,
    retryable: false,
    hint: 'Give `in` a list, `is` null/true/false, and every other operator one value.',
  });
}

/** `op.value` for one filter (the query parameter's value; the URL encoding is done when it is sent). */
export function filterValue(filter: Filter): string {
  const prefix = filter.not ? 'not.' : '';
  const { value } = filter;
  if (filter.op === 'in') {
    if (!Array.isArray(value)) throw badFilter(filter, 'needs a list');
    return `${prefix}in.(${value.map(listItem).join(',')})`;
  }
  if (Array.isArray(value)) throw badFilter(filter, 'takes one value, not a list');
  if (filter.op === 'is') {
    if (value !== null && typeof value !== 'boolean') throw badFilter(filter, 'takes null, true or false');
    return `${prefix}is.${String(value)}`;
  }
  if (value === null) throw badFilter(filter, 'takes a value (use op "is" for null)');
  return `${prefix}${filter.op}.${String(value)}`;
}

/** The filters as PostgREST query parameters: `column=op.value`, repeated for several on one column. */
export function filterQuery(filters: readonly Filter[] | undefined): Record<string, string[]> {
  const query: Record<string, string[]> = {};
  for (const filter of filters ?? []) {
    query[filter.column] = [...(query[filter.column] ?? []), filterValue(filter)];
  }
  return query;
}

export const Order = z
  .array(
    z.strictObject({
      column: ColumnName,
      ascending: z.boolean().default(true).describe('Ascending (default) or descending, e.g. false.'),
      nullsFirst: z.boolean().optional().describe('Put nulls first (true) or last (false).'),
    }),
  )
  .max(10)
  .describe('Sort order, e.g. [{ "column": "created_at", "ascending": false }].');

export function orderQuery(order: z.infer<typeof Order> | undefined): string | undefined {
  if (!order || order.length === 0) return undefined;
  return order
    .map(
      (item) =>
        `${item.column}.${item.ascending ? 'asc' : 'desc'}${item.nullsFirst === undefined ? '' : item.nullsFirst ? '.nullsfirst' : '.nullslast'}`,
    )
    .join(',');
}

export const Columns = z
  .array(ColumnName.or(z.literal('*')))
  .min(1)
  .max(200)
  .describe('The columns to return, e.g. ["id", "email"]; default all ("*").');
