import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { RecordFields, RecordId, SObjectName } from '../client.ts';
import { rest } from '../kit.ts';

export const updateRecord = rest.action({
  key: 'updateRecord',
  title: 'Update a Salesforce record',
  description:
    'Change fields of one Salesforce record by its id (e.g. set a lead’s Status or an opportunity’s StageName); fields not given stay as they are.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) =>
    describeNamed(
      `the Salesforce ${typeof withValue.sobject === 'string' ? withValue.sobject : 'record'}`,
      withValue.recordId,
    ),
  input: z.strictObject({ sobject: SObjectName, recordId: RecordId, fields: RecordFields }),
  output: z.object({
    id: z.string().describe('The record that was updated.'),
    updated: z.literal(true).describe('Always true.'),
  }),
  http: { method: 'PATCH', path: '/sobjects/{sobject}/{recordId}', json: (input) => input.fields },
  project: (_, input) => ({ id: input.recordId, updated: true as const }),
});
