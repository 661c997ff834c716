import { z } from 'zod';
import type { PollWatermark } from '../../sdk/define.ts';
import { isoOf, SObjectName, withoutAttributes } from '../client.ts';
import { rest } from '../kit.ts';

const FieldPath = z
  .string()
  .regex(
    /^[A-Za-z][A-Za-z0-9_]{0,79}(\.[A-Za-z][A-Za-z0-9_]{0,79}){0,4}$/,
    'a field API name such as "Email" or "Account.Name"',
  );

export const RecordCreatedFilters = z.strictObject({
  sobject: SObjectName,
  fields: z
    .array(FieldPath)
    .max(100)
    .default(['Name'])
    .describe(
      'Fields to include in the trigger data besides Id and CreatedDate, e.g. ["FirstName","LastName","Email","Company"] (default ["Name"]).',
    ),
  intervalSeconds: z
    .number()
    .int()
    .min(30)
    .max(86_400)
    .default(60)
    .describe('Seconds between polls (30–86400, default 60).'),
});
export type RecordCreatedFilters = z.infer<typeof RecordCreatedFilters>;

export const RecordCreatedData = z.object({
  id: z.string().describe('The new record’s id.'),
  sobject: z.string().describe('Its object, e.g. "Lead".'),
  createdAt: z.string().describe('When it was created (ISO).'),
  fields: z
    .record(z.string(), z.unknown())
    .describe('The selected fields, e.g. { "Email": "ana@example.com" }.'),
});
export type RecordCreatedData = z.infer<typeof RecordCreatedData>;

const MAX_PER_POLL = 200;

/** SOQL datetimes are second-precise and unquoted (2026-12-04T10:00:00Z). */
function soqlDateTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * The newest records of the object, built only from validated API names (no text from a run goes in). After the
 * first poll only those created at or after the watermark's second are asked for: SOQL datetimes have no
 * milliseconds, and the runtime drops the ones it has seen.
 */
function recordsSoql(filters: RecordCreatedFilters, after: PollWatermark | undefined): string {
  const fields = [
    'Id',
    'CreatedDate',
    ...filters.fields.filter((field) => field !== 'Id' && field !== 'CreatedDate'),
  ];
  const where = after ? ` WHERE CreatedDate >= ${soqlDateTime(after.at)}` : '';
  return `SELECT ${fields.join(', ')} FROM ${filters.sobject}${where} ORDER BY CreatedDate DESC LIMIT ${MAX_PER_POLL}`;
}

const Page = z.object({ records: z.array(z.unknown()).max(2000) });
const Created = z.object({ Id: z.string(), CreatedDate: z.string() }).loose();

export const recordCreated = rest.poll({
  key: 'recordCreated',
  title: 'Salesforce record created',
  description:
    'Starts the workflow for each new record of a Salesforce object (a lead, contact, opportunity, case or custom object), by asking Salesforce for records with a newer CreatedDate.',
  with: RecordCreatedFilters,
  data: RecordCreatedData,
  sample: {
    id: '00Q5e00000AbCdEEAZ',
    sobject: 'Lead',
    createdAt: '2026-12-04T10:00:00.000+00:00',
    fields: { FirstName: 'Ana', LastName: 'Lima', Email: 'ana@example.com', Company: 'Acme' },
  } satisfies RecordCreatedData,
  intervalMs: (filters) => filters.intervalSeconds * 1000,
  http: { method: 'GET', path: '/query', query: (filters) => ({ q: recordsSoql(filters, undefined) }) },
  since: (after, filters) => ({ q: recordsSoql(filters, after) }),
  items: (body) => Page.parse(body).records,
  item(raw, filters) {
    const record = Created.safeParse(raw);
    if (!record.success) return undefined;
    const createdAt = isoOf(record.data.CreatedDate);
    const at = Date.parse(createdAt);
    if (Number.isNaN(at)) return undefined;
    const { Id: _id, CreatedDate: _created, ...fields } = withoutAttributes(raw);
    return {
      id: record.data.Id,
      at,
      data: { id: record.data.Id, sobject: filters.sobject, createdAt, fields },
    };
  },
});
