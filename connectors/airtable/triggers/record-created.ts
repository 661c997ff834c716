import { z } from 'zod';
import { AirtableRecord, BaseId, RecordList, TableRef, toRecord } from '../client.ts';
import { createdAfterFormula } from '../formula.ts';
import { rest } from '../kit.ts';

export const RecordCreatedFilters = z.strictObject({
  baseId: BaseId,
  table: TableRef,
  view: z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe('Only records that appear in this view (name or id "viw…"), e.g. "Qualified".'),
  createdTimeField: z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe(
      'A "Created time" field of the table, e.g. "Created". Optional: without it Airtable’s CREATED_TIME() is used; with it the newest come first.',
    ),
  intervalSeconds: z
    .number()
    .int()
    .min(15)
    .max(86_400)
    .default(60)
    .describe('Seconds between two polls (15–86400). Default 60.'),
});
export type RecordCreatedFilters = z.infer<typeof RecordCreatedFilters>;

/** The first poll looks back this far: older records are "already there" at activation. */
const FIRST_POLL_LOOKBACK_MS = 24 * 60 * 60 * 1000;
/** Created times are compared to the second by Airtable: ask from a second before the watermark, ids dedupe. */
const OVERLAP_MS = 1000;

function createdAt(record: AirtableRecord, field: string | undefined): number {
  const value = field ? record.fields[field] : undefined;
  const at = Date.parse(typeof value === 'string' ? value : record.createdTime);
  return Number.isFinite(at) ? at : Date.parse(record.createdTime);
}

export const recordCreated = rest.poll({
  key: 'recordCreated',
  title: 'Airtable record created',
  description:
    'Starts the workflow once for each new record (row) in an Airtable table or view, polled every intervalSeconds (default 60). Records already there at activation start nothing.',
  with: RecordCreatedFilters,
  data: AirtableRecord,
  sample: {
    id: 'recq5vS2Xf1Z3Ab7C',
    createdTime: '2026-12-04T09:30:00.000Z',
    fields: { Name: 'Ana Lima', Email: 'ana@example.com', Status: 'New' },
  } satisfies AirtableRecord,
  intervalMs: (filters) => filters.intervalSeconds * 1000,
  http: {
    method: 'GET',
    path: '/{baseId}/{table}',
    query: (filters) => ({
      view: filters.view,
      pageSize: 100,
      ...(filters.createdTimeField
        ? { 'sort[0][field]': filters.createdTimeField, 'sort[0][direction]': 'desc' }
        : {}),
    }),
  },
  since: (after, filters) => {
    const from = after ? after.at - OVERLAP_MS : Date.now() - FIRST_POLL_LOOKBACK_MS;
    return { filterByFormula: createdAfterFormula(from, filters.createdTimeField) };
  },
  paginate: {
    style: 'cursor',
    cursorParam: 'offset',
    items: (body) => RecordList.parse(body).records,
    nextCursor: (body) => RecordList.parse(body).offset,
    maxPages: 10,
  },
  item: (raw, filters) => {
    const record = toRecord(raw);
    return { id: record.id, at: createdAt(record, filters.createdTimeField), data: record };
  },
});
