import { z } from 'zod';
import { withoutAttributes } from '../client.ts';
import { rest } from '../kit.ts';
import { bindSoql, soqlPlaceholders } from '../soql.ts';

const Scalar = z.union([z.string().max(4000), z.number(), z.boolean(), z.null()]);

const QueryPage = z.object({
  totalSize: z.number().int(),
  done: z.boolean(),
  records: z.array(z.unknown()),
  nextRecordsUrl: z.string().optional(),
});

export const QueryInput = z.strictObject({
  soql: z
    .string()
    .min(1)
    .max(100_000)
    .regex(/^\s*select\s/i, 'a SOQL SELECT statement')
    .describe(
      'The SOQL SELECT, written literally, with :name placeholders for values, e.g. "SELECT Id, Name, Email FROM Contact WHERE Email = :email LIMIT 10".',
    ),
  params: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/), z.union([Scalar, z.array(Scalar).max(1000)]))
    .default({})
    .describe(
      'The values of the placeholders, e.g. {"email": "{{ trigger.email }}"}; strings are quoted and escaped, lists become (a, b) for IN.',
    ),
  limit: z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(2000)
    .describe('At most this many records (default 2000); Salesforce pages of up to 2000 are followed.'),
});

export const query = rest.list({
  key: 'query',
  title: 'Query Salesforce with SOQL',
  description:
    'Find Salesforce records with a SOQL SELECT (e.g. the contacts with an email, open opportunities over an amount). The SOQL is written literally in the workflow; values from triggers and steps go in params as :name placeholders, never into the text.',
  effect: 'read',
  idempotent: true,
  literalInputs: ['soql'],
  checkWith(withValue) {
    if (typeof withValue.soql !== 'string') return [];
    const params = withValue.params;
    if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params)))
      return [];
    const given = new Set(Object.keys(params ?? {}));
    return [...new Set(soqlPlaceholders(withValue.soql))]
      .filter((name) => !given.has(name))
      .map((name) => ({
        code: 'E_PARAMS',
        field: '/params',
        message: `The SOQL uses :${name}, and params has no "${name}".`,
        hint: `Add "${name}" to params, e.g. "params": {"${name}": "{{ trigger.${name} }}"}.`,
      }));
  },
  input: QueryInput,
  output: z.object({
    records: z
      .array(z.record(z.string(), z.unknown()))
      .describe('The records, each with the selected fields (relationship fields as nested objects).'),
    totalSize: z.number().int().describe('How many records match in all.'),
    truncated: z.boolean().describe('True when more matched than `limit`.'),
  }),
  http: {
    method: 'GET',
    path: '/query',
    query: (input) => ({ q: bindSoql(input.soql, input.params) }),
  },
  paginate: {
    style: 'nextUrl',
    items: (body) => QueryPage.parse(body).records,
    nextUrl: (body) => QueryPage.parse(body).nextRecordsUrl,
    maxItems: (input) => input.limit,
    maxPages: 10,
  },
  project: (collected) => ({
    records: collected.items.map(withoutAttributes),
    totalSize: QueryPage.parse(collected.last.body).totalSize,
    truncated: collected.truncated,
  }),
});
