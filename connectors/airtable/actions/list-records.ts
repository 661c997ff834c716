import { z } from 'zod';
import { AirtableRecord, BaseId, RecordList, TableRef, toRecord } from '../client.ts';
import { rest } from '../kit.ts';

const PAGE_SIZE = 100;

/** What listRecords and searchRecords share: where, which view, which fields, in what order, how many. */
export const ListShape = {
  baseId: BaseId,
  table: TableRef,
  view: z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe(
      'Only records of this view (name or id "viw…"), in its order and with its filters, e.g. "Open leads".',
    ),
  fields: z
    .array(z.string().min(1).max(255))
    .max(100)
    .optional()
    .describe('Only these fields in each record, e.g. ["Name", "Email"]. Default: every field.'),
  sortField: z.string().min(1).max(255).optional().describe('Sort by this field, e.g. "Created".'),
  sortDirection: z.enum(['asc', 'desc']).default('asc').describe('"asc" (default) or "desc" with sortField.'),
  limit: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(100)
    .describe('At most this many records (1–1000, default 100); pages of 100 are fetched as needed.'),
};

export const ListRecordsInput = z.strictObject(ListShape);
type ListInput = z.output<typeof ListRecordsInput>;

/** The query Airtable's list endpoint takes for a view, fields, a sort and a formula. */
export function listQuery(input: ListInput, filterByFormula?: string) {
  return {
    view: input.view,
    'fields[]': input.fields,
    ...(input.sortField
      ? { 'sort[0][field]': input.sortField, 'sort[0][direction]': input.sortDirection }
      : {}),
    pageSize: Math.min(PAGE_SIZE, input.limit),
    filterByFormula,
  };
}

export const recordPages = {
  style: 'cursor' as const,
  cursorParam: 'offset',
  items: (body: unknown) => RecordList.parse(body).records,
  nextCursor: (body: unknown) => RecordList.parse(body).offset,
  maxItems: (input: { limit: number }) => input.limit,
};

export const ListOutput = z.object({
  records: z.array(AirtableRecord).describe('The records, in the view’s or the sort’s order.'),
  truncated: z.boolean().describe('True when more records matched than `limit`.'),
});

export const listRecords = rest.list({
  key: 'listRecords',
  title: 'List Airtable records',
  description:
    'List the rows of an Airtable table or one of its views, optionally only some fields and sorted; walks Airtable’s offset pages up to `limit`.',
  effect: 'read',
  idempotent: true,
  input: ListRecordsInput,
  output: ListOutput,
  http: { method: 'GET', path: '/{baseId}/{table}', query: (input) => listQuery(input) },
  paginate: recordPages,
  project: (collected) => ({ records: collected.items.map(toRecord), truncated: collected.truncated }),
});
