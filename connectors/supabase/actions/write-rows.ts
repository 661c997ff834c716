import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { profileHeaders, Row, RowsOutput, rowsOf, SchemaName, TableName } from '../client.ts';
import { ColumnName, Filters, filterQuery } from '../filters.ts';
import { rest } from '../kit.ts';

const Rows = z
  .array(Row)
  .min(1)
  .max(1000)
  .describe('The rows, e.g. [{ "email": "ana@example.com", "plan": "pro" }] (at most 1000).');

/** Filters that must match at least one condition: an update or delete never reaches the whole table by accident. */
const RequiredFilters = Filters.min(1).describe(
  'Which rows (all conditions must hold; at least one), e.g. [{ "column": "id", "op": "eq", "value": 42 }].',
);

const target = (withValue: Record<string, unknown>) =>
  describeNamed('the Supabase table', withValue.table, { schema: withValue.schema });

const returned = (response: { body: unknown }) => {
  const rows = rowsOf(response.body);
  return { rows, count: rows.length };
};

export const insertRows = rest.action({
  key: 'insertRows',
  title: 'Insert rows into a Supabase table',
  description:
    'Add new rows to a Supabase (Postgres) table through its REST API and get them back with their generated ids and defaults.',
  effect: 'write',
  idempotent: false,
  describeTarget: target,
  input: z.strictObject({ table: TableName, schema: SchemaName, rows: Rows }),
  output: RowsOutput,
  http: {
    method: 'POST',
    path: '/rest/v1/{table}',
    json: (input) => input.rows,
    headers: (input) => ({ prefer: 'return=representation', ...profileHeaders(input.schema, true) }),
  },
  project: returned,
});

export const upsertRows = rest.action({
  key: 'upsertRows',
  title: 'Insert or update rows in a Supabase table',
  description:
    'Write rows to a Supabase table, updating the ones whose primary key (or the onConflict columns) exists already and inserting the others.',
  effect: 'write',
  idempotent: true,
  describeTarget: target,
  input: z.strictObject({
    table: TableName,
    schema: SchemaName,
    rows: Rows,
    onConflict: z
      .array(ColumnName)
      .min(1)
      .max(10)
      .optional()
      .describe('The unique columns that identify a row, e.g. ["email"]; default the primary key.'),
    ignoreDuplicates: z
      .boolean()
      .default(false)
      .describe('Keep existing rows as they are instead of updating them, e.g. true.'),
  }),
  output: RowsOutput,
  http: {
    method: 'POST',
    path: '/rest/v1/{table}',
    query: (input) => ({ on_conflict: input.onConflict?.join(',') }),
    json: (input) => input.rows,
    headers: (input) => ({
      prefer: `resolution=${input.ignoreDuplicates ? 'ignore' : 'merge'}-duplicates,return=representation`,
      ...profileHeaders(input.schema, true),
    }),
  },
  project: returned,
});

export const updateRows = rest.action({
  key: 'updateRows',
  title: 'Update rows in a Supabase table',
  description:
    'Change columns of the rows of a Supabase table that match the filters (at least one filter), and get the changed rows back.',
  effect: 'write',
  idempotent: true,
  describeTarget: target,
  input: z.strictObject({
    table: TableName,
    schema: SchemaName,
    filters: RequiredFilters,
    values: Row.describe('The new values, column → value, e.g. { "status": "shipped" }.'),
  }),
  output: RowsOutput,
  http: {
    method: 'PATCH',
    path: '/rest/v1/{table}',
    query: (input) => filterQuery(input.filters),
    json: (input) => input.values,
    headers: (input) => ({ prefer: 'return=representation', ...profileHeaders(input.schema, true) }),
  },
  project: returned,
});

export const deleteRows = rest.action({
  key: 'deleteRows',
  title: 'Delete rows from a Supabase table',
  description:
    'Remove the rows of a Supabase table that match the filters (at least one filter) and get the removed rows back.',
  effect: 'write',
  idempotent: true,
  describeTarget: target,
  input: z.strictObject({ table: TableName, schema: SchemaName, filters: RequiredFilters }),
  output: RowsOutput,
  http: {
    method: 'DELETE',
    path: '/rest/v1/{table}',
    query: (input) => filterQuery(input.filters),
    headers: (input) => ({ prefer: 'return=representation', ...profileHeaders(input.schema, true) }),
  },
  project: returned,
});
