import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { CustomFields, dataOf, PipedriveId } from '../client.ts';
import { rest } from '../kit.ts';

const Contact = z.object({
  value: z.string(),
  primary: z.boolean().optional(),
  label: z.string().optional(),
});
const PersonBody = z.object({
  id: z.number().int(),
  name: z.string(),
  emails: z.array(Contact).nullable().optional(),
  phones: z.array(Contact).nullable().optional(),
  org_id: z.number().int().nullable().optional(),
  owner_id: z.number().int().nullable().optional(),
  add_time: z.string(),
  update_time: z.string().nullable().optional(),
});

export const Person = z.object({
  id: z.number().int().describe('The person id.'),
  name: z.string().describe('Full name.'),
  emails: z.array(z.string()).describe('Email addresses, the primary first.'),
  phones: z.array(z.string()).describe('Phone numbers, the primary first.'),
  orgId: z.number().int().nullable().describe('The organization id.'),
  ownerId: z.number().int().nullable().describe('The owner (user) id.'),
  addTime: z.string().describe('When it was created (ISO).'),
  updateTime: z.string().nullable().describe('When it was last changed (ISO).'),
});

const primaryFirst = (entries: z.infer<typeof Contact>[] | null | undefined) =>
  [...(entries ?? [])]
    .sort((a, b) => Number(b.primary ?? false) - Number(a.primary ?? false))
    .map((entry) => entry.value);

function toPerson(raw: unknown): z.infer<typeof Person> {
  const person = PersonBody.parse(raw);
  return {
    id: person.id,
    name: person.name,
    emails: primaryFirst(person.emails),
    phones: primaryFirst(person.phones),
    orgId: person.org_id ?? null,
    ownerId: person.owner_id ?? null,
    addTime: person.add_time,
    updateTime: person.update_time ?? null,
  };
}

const personFields = {
  emails: z
    .array(z.email())
    .max(10)
    .optional()
    .describe('Email addresses, the first is primary, e.g. ["ana@example.com"].'),
  phones: z
    .array(z.string().min(3).max(50))
    .max(10)
    .optional()
    .describe('Phone numbers, the first is primary, e.g. ["+351 21 000 0000"].'),
  orgId: PipedriveId.optional().describe('The organization the person belongs to.'),
  ownerId: PipedriveId.optional().describe('The owner (user) id; default the credential’s user.'),
  customFields: CustomFields,
};

type PersonFields = {
  name?: string | undefined;
  emails?: string[] | undefined;
  phones?: string[] | undefined;
  orgId?: number | undefined;
  ownerId?: number | undefined;
  customFields?: Record<string, unknown> | undefined;
};

const contacts = (values: string[] | undefined, label: string) =>
  values?.map((value, index) => ({ value, primary: index === 0, label }));

function personJson(input: PersonFields) {
  return {
    name: input.name,
    emails: contacts(input.emails, 'work'),
    phones: contacts(input.phones, 'work'),
    org_id: input.orgId,
    owner_id: input.ownerId,
    custom_fields: input.customFields,
  };
}

export const createPerson = rest.action({
  key: 'createPerson',
  title: 'Create a Pipedrive person',
  description: 'Add a contact person to Pipedrive with emails, phones and an organization (API v2).',
  effect: 'write',
  idempotent: false,
  describeTarget: () => 'Pipedrive contacts (persons)',
  input: z.strictObject({
    name: z.string().min(1).max(255).describe('Full name, e.g. "Ana Lima".'),
    ...personFields,
  }),
  output: Person,
  http: { method: 'POST', path: '/v2/persons', json: (input) => personJson(input) },
  project: (response) => toPerson(dataOf(response.body)),
});

export const updatePerson = rest.action({
  key: 'updatePerson',
  title: 'Update a Pipedrive person',
  description:
    'Change a Pipedrive contact person by id (name, emails, phones, organization); fields not given stay; emails or phones given replace the list.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) => describeNamed('the Pipedrive person', withValue.personId),
  input: z.strictObject({
    personId: PipedriveId.describe('The person to change, e.g. 7.'),
    name: z.string().min(1).max(255).optional().describe('A new name.'),
    ...personFields,
  }),
  output: Person,
  http: { method: 'PATCH', path: '/v2/persons/{personId}', json: (input) => personJson(input) },
  project: (response) => toPerson(dataOf(response.body)),
});
