import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { RecordFields, SaveResult, SObjectName } from '../client.ts';
import { rest } from '../kit.ts';

export const upsertRecord = rest.action({
  key: 'upsertRecord',
  title: 'Create or update a Salesforce record by external id',
  description:
    'Create a Salesforce record, or update the one whose external id field already has this value (e.g. a Contact keyed by an ERP customer number). Running it twice never makes two records.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) =>
    describeNamed('the Salesforce object', withValue.sobject, {
      [String(withValue.externalIdField ?? 'id')]: withValue.externalId,
    }),
  input: z.strictObject({
    sobject: SObjectName,
    externalIdField: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_]{0,79}$/, 'a field API name')
      .describe('The external id field’s API name, e.g. "ERP_Id__c" (marked External ID in Setup).'),
    externalId: z.string().min(1).max(255).describe('Its value, e.g. "C-1042".'),
    fields: RecordFields,
  }),
  output: z.object({
    id: z.string().describe('The record’s id.'),
    created: z.boolean().describe('True when it was created, false when an existing one was updated.'),
  }),
  http: {
    method: 'PATCH',
    path: '/sobjects/{sobject}/{externalIdField}/{externalId}',
    json: (input) => input.fields,
  },
  project: (response) => {
    const saved = SaveResult.parse(response.body);
    return { id: saved.id, created: saved.created ?? response.status === 201 };
  },
});
