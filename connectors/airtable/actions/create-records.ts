import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { AirtableRecord, BaseId, Fields, recordsOf, TableRef } from '../client.ts';
import { rest } from '../kit.ts';

export const CreateRecordsInput = z.strictObject({
  baseId: BaseId,
  table: TableRef,
  records: z
    .array(Fields)
    .min(1)
    .max(10)
    .describe(
      '1–10 records, each its cell values by field name, e.g. [{"Name": "Ana", "Email": "ana@example.com"}].',
    ),
  typecast: z
    .boolean()
    .default(false)
    .describe('Let Airtable convert values (text to a number, a new select option). Default false.'),
});

export const createRecords = rest.action({
  key: 'createRecords',
  title: 'Create Airtable records',
  description:
    'Add 1–10 rows to an Airtable table in one request, each given as cell values by column name. Returns the new records with their ids.',
  effect: 'write',
  // Airtable has no idempotency key: a retry after a lost answer can add the rows twice.
  idempotent: false,
  describeTarget: (withValue) =>
    describeNamed('the Airtable table', withValue.table, { base: withValue.baseId }),
  input: CreateRecordsInput,
  output: z.object({ records: z.array(AirtableRecord).describe('The created records, in the order given.') }),
  http: {
    method: 'POST',
    path: '/{baseId}/{table}',
    json: (input) => ({ records: input.records.map((fields) => ({ fields })), typecast: input.typecast }),
  },
  project: (response) => ({ records: recordsOf(response.body) }),
});
