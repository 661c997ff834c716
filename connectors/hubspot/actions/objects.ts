import { z } from 'zod';
import { defineAction } from '../../sdk/define.ts';
import { describeNamed } from '../../sdk/describe-target.ts';
import type { RestClient } from '../../sdk/rest/index.ts';
import {
  CrmRecord,
  type HubspotCredential,
  HubspotId,
  PropertyValues,
  SearchPage,
  toCrmRecord,
  wireProperties,
} from '../client.ts';
import { rest } from '../kit.ts';

/** The CRM objects the connector writes, with the words and examples its actions use. */
export type CrmObject = {
  type: 'contacts' | 'companies' | 'deals';
  noun: string;
  /** Action key part: Contact, Company, Deal. */
  name: string;
  plural: string;
  example: string;
  searchExample: string;
};

export const CONTACTS: CrmObject = {
  type: 'contacts',
  noun: 'contact',
  name: 'Contact',
  plural: 'Contacts',
  example: '{"email": "ana@example.com", "firstname": "Ana", "lastname": "Lima", "lifecyclestage": "lead"}',
  searchExample: '[{"property": "email", "operator": "EQ", "value": "ana@example.com"}]',
};
export const COMPANIES: CrmObject = {
  type: 'companies',
  noun: 'company',
  name: 'Company',
  plural: 'Companies',
  example: '{"name": "Acme Corp", "domain": "acme.com", "industry": "COMPUTER_SOFTWARE"}',
  searchExample: '[{"property": "domain", "operator": "EQ", "value": "acme.com"}]',
};
export const DEALS: CrmObject = {
  type: 'deals',
  noun: 'deal',
  name: 'Deal',
  plural: 'Deals',
  example:
    '{"dealname": "Acme – 50 seats", "amount": 12000, "pipeline": "default", "dealstage": "appointmentscheduled"}',
  searchExample: '[{"property": "dealstage", "operator": "EQ", "value": "closedwon"}]',
};

export function createObjectAction(object: CrmObject) {
  return rest.action({
    key: `create${object.name}`,
    title: `Create a HubSpot ${object.noun}`,
    description: `Create a ${object.noun} in HubSpot CRM from property values by internal name (e.g. ${object.example.slice(0, 80)}…).`,
    effect: 'write',
    // HubSpot takes no idempotency key on creates (a contact's unique email makes a second create a 409).
    idempotent: false,
    describeTarget: () => `HubSpot ${object.plural.toLowerCase()}`,
    input: z.strictObject({
      properties: PropertyValues.describe(`Property values by internal name, e.g. ${object.example}.`),
    }),
    output: CrmRecord,
    http: {
      method: 'POST',
      path: `/crm/v3/objects/${object.type}`,
      json: (input) => ({ properties: wireProperties(input.properties) }),
    },
    project: (response) => toCrmRecord(response.body),
  });
}

export function updateObjectAction(object: CrmObject) {
  const byEmail = object.type === 'contacts';
  return rest.action({
    key: `update${object.name}`,
    title: `Update a HubSpot ${object.noun}`,
    description: `Change properties of an existing HubSpot ${object.noun} by id${byEmail ? ' (or by email)' : ''}; properties not named keep their values.`,
    effect: 'write',
    idempotent: true,
    describeTarget: (withValue) => describeNamed(`the HubSpot ${object.noun}`, withValue.id),
    input: z.strictObject({
      id: byEmail
        ? z
            .string()
            .min(1)
            .max(320)
            .describe('The contact id (e.g. "51"), or its email when idProperty is "email".')
        : HubspotId,
      ...(byEmail
        ? {
            idProperty: z
              .enum(['hs_object_id', 'email'])
              .default('hs_object_id')
              .describe('"email" to name the contact by its email in `id`. Default: the record id.'),
          }
        : {}),
      properties: PropertyValues.describe(`The property values to set, e.g. ${object.example}.`),
    }),
    output: CrmRecord,
    http: {
      method: 'PATCH',
      path: `/crm/v3/objects/${object.type}/{id}`,
      query: (input) => ({
        idProperty: 'idProperty' in input && input.idProperty === 'email' ? 'email' : undefined,
      }),
      json: (input) => ({ properties: wireProperties(input.properties) }),
    },
    project: (response) => toCrmRecord(response.body),
  });
}

const Operator = z.enum([
  'EQ',
  'NEQ',
  'LT',
  'LTE',
  'GT',
  'GTE',
  'CONTAINS_TOKEN',
  'NOT_CONTAINS_TOKEN',
  'HAS_PROPERTY',
  'NOT_HAS_PROPERTY',
  'IN',
  'NOT_IN',
  'BETWEEN',
]);

export const Filter = z.strictObject({
  property: z
    .string()
    .regex(/^[A-Za-z0-9_]{1,100}$/)
    .describe('Internal property name, e.g. "email".'),
  operator: Operator.default('EQ').describe(
    'EQ (default), NEQ, LT, GT, CONTAINS_TOKEN, HAS_PROPERTY, IN, BETWEEN…',
  ),
  value: z
    .union([z.string().max(10_000), z.number(), z.boolean()])
    .optional()
    .describe('The value (for BETWEEN the low end), e.g. "ana@example.com".'),
  highValue: z.union([z.string(), z.number()]).optional().describe('The high end for BETWEEN.'),
  values: z.array(z.string().max(1000)).max(100).optional().describe('The values for IN / NOT_IN.'),
});
type Filter = z.output<typeof Filter>;

export function wireFilter(filter: Filter) {
  return {
    propertyName: filter.property,
    operator: filter.operator,
    ...(filter.value === undefined ? {} : { value: String(filter.value) }),
    ...(filter.highValue === undefined ? {} : { highValue: String(filter.highValue) }),
    ...(filter.values ? { values: filter.values } : {}),
  };
}

const MAX_PAGE = 200;
const MAX_PAGES = 10;

/**
 * HubSpot's search takes its cursor (`after`) in the POST body: one request per page until no `paging.next`,
 * the limit, or MAX_PAGES pages.
 */
export async function searchPages(
  client: RestClient,
  objectType: string,
  body: Record<string, unknown>,
  limit: number,
  signal: AbortSignal,
): Promise<{ items: unknown[]; total: number | undefined; truncated: boolean }> {
  const items: unknown[] = [];
  let after: string | undefined;
  let total: number | undefined;
  for (let page = 1; ; page++) {
    const response = await client.send(
      {
        method: 'POST',
        path: `/crm/v3/objects/${objectType}/search`,
        json: { ...body, limit: Math.min(MAX_PAGE, limit), ...(after ? { after } : {}) },
      },
      signal,
    );
    const answer = SearchPage.parse(response.body);
    total = answer.total ?? total;
    items.push(...answer.results);
    const next = answer.paging?.next?.after;
    if (items.length >= limit)
      return { items: items.slice(0, limit), total, truncated: items.length > limit || !!next };
    if (!next || next === after || answer.results.length === 0) return { items, total, truncated: false };
    if (page >= MAX_PAGES) return { items, total, truncated: true };
    after = next;
  }
}

const SearchOutput = z.object({
  results: z.array(CrmRecord).describe('The matching records.'),
  total: z.number().int().nullable().describe('How many match in all, as HubSpot counts them.'),
  truncated: z.boolean().describe('True when more matched than `limit`.'),
});

export function searchObjectAction(object: CrmObject) {
  const input = z.strictObject({
    filters: z
      .array(Filter)
      .max(6)
      .optional()
      .describe(`Conditions that must all hold, e.g. ${object.searchExample}.`),
    anyOf: z
      .array(z.array(Filter).min(1).max(6))
      .max(5)
      .optional()
      .describe('Alternatives instead of `filters`: groups of conditions, any group matching (OR of ANDs).'),
    query: z
      .string()
      .max(3000)
      .optional()
      .describe('Free text matched against the default searchable properties, e.g. "acme".'),
    properties: z
      .array(z.string().regex(/^[A-Za-z0-9_]{1,100}$/))
      .max(100)
      .optional()
      .describe(
        'The properties to return, e.g. ["email", "firstname", "phone"]. Default: HubSpot’s defaults.',
      ),
    sortBy: z
      .string()
      .regex(/^[A-Za-z0-9_]{1,100}$/)
      .optional()
      .describe('Sort by this property, e.g. "createdate".'),
    sortDirection: z
      .enum(['ASCENDING', 'DESCENDING'])
      .default('DESCENDING')
      .describe('With sortBy; default DESCENDING.'),
    limit: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(100)
      .describe('At most this many records (1–1000, default 100); pages of up to 200 are fetched.'),
  });
  return defineAction<typeof input, typeof SearchOutput, HubspotCredential, RestClient>({
    key: `search${object.plural}`,
    title: `Search HubSpot ${object.plural.toLowerCase()}`,
    description: `Find HubSpot ${object.plural.toLowerCase()} by property conditions (equals, contains, greater than…) or free text, e.g. the ${object.noun} with this ${object.type === 'contacts' ? 'email' : object.type === 'companies' ? 'domain' : 'stage'}.`,
    effect: 'read',
    idempotent: true,
    input,
    output: SearchOutput,
    async run(values, ctx) {
      const groups = values.anyOf ?? (values.filters ? [values.filters] : []);
      const { items, total, truncated } = await searchPages(
        ctx.client,
        object.type,
        {
          filterGroups: groups.map((filters) => ({ filters: filters.map(wireFilter) })),
          ...(values.query ? { query: values.query } : {}),
          ...(values.properties ? { properties: values.properties } : {}),
          ...(values.sortBy
            ? { sorts: [{ propertyName: values.sortBy, direction: values.sortDirection }] }
            : {}),
        },
        values.limit,
        ctx.signal,
      );
      return { results: items.map(toCrmRecord), total: total ?? null, truncated };
    },
  });
}
