import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { AirtableRecord, BaseId, Fields, RecordId, recordsOf, TableRef } from '../client.ts';
import { rest } from '../kit.ts';

export const UpdateRecordsInput = z.strictObject({
  baseId: BaseId,
  table: TableRef,
  records: z
    .array(z.strictObject({ id: RecordId, fields: Fields }))
    .min(1)
    .max(10)
    .describe(
      '1–10 updates, e.g. [{"id": "recXXXXXXXXXXXXXX", "fields": {"Status": "Won"}}]; fields not named are kept.',
    ),
  typecast: z
    .boolean()
    .default(false)
    .describe('Let Airtable convert values (text to a number, a new select option).'),
});

export const updateRecords = rest.action({
  key: 'updateRecords',
  title: 'Update Airtable records',
  description:
    'Change cells of 1–10 existing Airtable records by id; only the fields named change (PATCH), the others stay as they are.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) =>
    describeNamed('the Airtable table', withValue.table, { base: withValue.baseId }),
  input: UpdateRecordsInput,
  output: z.object({ records: z.array(AirtableRecord).describe('The records after the update.') }),
  http: {
    method: 'PATCH',
    path: '/{baseId}/{table}',
    json: (input) => ({ records: input.records, typecast: input.typecast }),
  },
  project: (response) => ({ records: recordsOf(response.body) }),
});
