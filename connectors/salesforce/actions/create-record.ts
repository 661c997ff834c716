import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { RecordFields, SaveResult, SObjectName } from '../client.ts';
import { rest } from '../kit.ts';

export const createRecord = rest.action({
  key: 'createRecord',
  title: 'Create a Salesforce record',
  description:
    'Create a record of any Salesforce object (Lead, Contact, Account, Opportunity, Case, a custom object) from field values, e.g. a lead from a web form.',
  effect: 'write',
  // The sObject API has no idempotency key: a retry after a lost answer may create a second record (upsertRecord with an external id does not).
  idempotent: false,
  describeTarget: (withValue) => describeNamed('the Salesforce object', withValue.sobject),
  input: z.strictObject({ sobject: SObjectName, fields: RecordFields }),
  output: z.object({
    id: z.string().describe('The new record’s id.'),
    sobject: z.string().describe('Its object.'),
  }),
  http: { method: 'POST', path: '/sobjects/{sobject}/', json: (input) => input.fields },
  project: (response, input) => ({ id: SaveResult.parse(response.body).id, sobject: input.sobject }),
});
