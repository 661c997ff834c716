import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { rest } from '../kit.ts';
import { RangeFields } from './read-range.ts';

const ClearBody = z.object({ spreadsheetId: z.string(), clearedRange: z.string().optional() });

export const clearRange = rest.action({
  key: 'clearRange',
  title: 'Clear a range of a Google Sheet',
  description:
    'Empty the cells of a range or a whole tab of a Google Sheet (values only: formatting, size and the tab stay).',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) =>
    describeNamed('the Google Sheet', withValue.spreadsheetId, { range: withValue.range }),
  input: z.strictObject(RangeFields),
  output: z.object({
    spreadsheetId: z.string().describe('The spreadsheet written to.'),
    clearedRange: z.string().describe('The cells emptied, as Google names them, e.g. "Leads!A2:D100".'),
  }),
  http: { method: 'POST', path: '/spreadsheets/{spreadsheetId}/values/{range}:clear', json: () => ({}) },
  project: (response, input) => {
    const body = ClearBody.parse(response.body);
    return { spreadsheetId: body.spreadsheetId, clearedRange: body.clearedRange ?? input.range };
  },
});
