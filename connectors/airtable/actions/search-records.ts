import { z } from 'zod';
import { toRecord } from '../client.ts';
import { matchFormula } from '../formula.ts';
import { rest } from '../kit.ts';
import { ListOutput, ListShape, listQuery, recordPages } from './list-records.ts';

export const SearchRecordsInput = z.strictObject({
  ...ListShape,
  field: z.string().min(1).max(255).describe('The field (column) to look in, e.g. "Email".'),
  value: z
    .union([z.string().max(10_000), z.number(), z.boolean()])
    .describe('The value to look for, e.g. "ana@example.com"; quotes and backslashes in it are escaped.'),
  match: z
    .enum(['equals', 'contains', 'notEquals'])
    .default('equals')
    .describe('"equals" (default), "contains" (text, ignoring case) or "notEquals".'),
});

export const searchRecords = rest.list({
  key: 'searchRecords',
  title: 'Search Airtable records',
  description:
    'Find the Airtable rows whose field equals or contains a value (e.g. the lead with this email) — a filterByFormula built with the value safely escaped.',
  effect: 'read',
  idempotent: true,
  input: SearchRecordsInput,
  output: ListOutput,
  http: {
    method: 'GET',
    path: '/{baseId}/{table}',
    query: (input) => listQuery(input, matchFormula(input.field, input.value, input.match)),
  },
  paginate: recordPages,
  project: (collected) => ({ records: collected.items.map(toRecord), truncated: collected.truncated }),
});
