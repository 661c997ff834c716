import { z } from 'zod';
import { AirtableRecord, BaseId, RecordId, TableRef, toRecord } from '../client.ts';
import { rest } from '../kit.ts';

export const GetRecordInput = z.strictObject({ baseId: BaseId, table: TableRef, recordId: RecordId });

export const getRecord = rest.action({
  key: 'getRecord',
  title: 'Get an Airtable record',
  description: 'Read one Airtable record by its id (rec…): all of its non-empty cells by field name.',
  effect: 'read',
  idempotent: true,
  input: GetRecordInput,
  output: AirtableRecord,
  http: { method: 'GET', path: '/{baseId}/{table}/{recordId}' },
  project: (response) => toRecord(response.body),
});
