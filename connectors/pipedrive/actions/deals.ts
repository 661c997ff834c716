import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { CustomFields, dataOf, PipedriveId } from '../client.ts';
import { rest } from '../kit.ts';

const DealBody = z.object({
  id: z.number().int(),
  title: z.string(),
  value: z.number().nullable().optional(),
  currency: z.string().nullable().optional(),
  status: z.string(),
  stage_id: z.number().int().nullable().optional(),
  pipeline_id: z.number().int().nullable().optional(),
  person_id: z.number().int().nullable().optional(),
  org_id: z.number().int().nullable().optional(),
  owner_id: z.number().int().nullable().optional(),
  expected_close_date: z.string().nullable().optional(),
  add_time: z.string(),
  update_time: z.string().nullable().optional(),
  custom_fields: z.record(z.string(), z.unknown()).nullable().optional(),
});

export const Deal = z.object({
  id: z.number().int().describe('The deal id.'),
  title: z.string().describe('The deal title.'),
  value: z.number().nullable().describe('Its value.'),
  currency: z.string().nullable().describe('Its currency, e.g. "EUR".'),
  status: z.string().describe('open, won, lost or deleted.'),
  stageId: z.number().int().nullable().describe('The pipeline stage id.'),
  pipelineId: z.number().int().nullable().describe('The pipeline id.'),
  personId: z.number().int().nullable().describe('The contact person id.'),
  orgId: z.number().int().nullable().describe('The organization id.'),
  ownerId: z.number().int().nullable().describe('The owner (user) id.'),
  expectedCloseDate: z.string().nullable().describe('Expected close date, YYYY-MM-DD.'),
  addTime: z.string().describe('When it was created (ISO).'),
  updateTime: z.string().nullable().describe('When it was last changed (ISO).'),
  customFields: z.record(z.string(), z.unknown()).describe('Custom field values by API key.'),
});
export type Deal = z.infer<typeof Deal>;

/** A deal as the API v2 and webhooks v2 give it (v1 also uses these names for the fields read here). */
export function toDeal(raw: unknown): Deal {
  const deal = DealBody.parse(raw);
  return {
    id: deal.id,
    title: deal.title,
    value: deal.value ?? null,
    currency: deal.currency ?? null,
    status: deal.status,
    stageId: deal.stage_id ?? null,
    pipelineId: deal.pipeline_id ?? null,
    personId: deal.person_id ?? null,
    orgId: deal.org_id ?? null,
    ownerId: deal.owner_id ?? null,
    expectedCloseDate: deal.expected_close_date ?? null,
    addTime: deal.add_time,
    updateTime: deal.update_time ?? null,
    customFields: deal.custom_fields ?? {},
  };
}

const dealFields = {
  value: z.number().min(0).optional().describe('The deal value, e.g. 12000.'),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .optional()
    .describe('ISO currency of the value, e.g. "EUR"; default the company’s.'),
  personId: PipedriveId.optional().describe('The contact person’s id, e.g. from createPerson.'),
  orgId: PipedriveId.optional().describe('The organization’s id.'),
  pipelineId: PipedriveId.optional().describe('The pipeline id; default the first pipeline.'),
  stageId: PipedriveId.optional().describe('The stage id; default the pipeline’s first stage.'),
  ownerId: PipedriveId.optional().describe('The owner (user) id; default the credential’s user.'),
  expectedCloseDate: z.iso.date().optional().describe('Expected close date, YYYY-MM-DD.'),
  customFields: CustomFields,
};

type DealFields = {
  title?: string | undefined;
  value?: number | undefined;
  currency?: string | undefined;
  personId?: number | undefined;
  orgId?: number | undefined;
  pipelineId?: number | undefined;
  stageId?: number | undefined;
  ownerId?: number | undefined;
  expectedCloseDate?: string | undefined;
  status?: string | undefined;
  customFields?: Record<string, unknown> | undefined;
};

function dealJson(input: DealFields) {
  return {
    title: input.title,
    value: input.value,
    currency: input.currency,
    person_id: input.personId,
    org_id: input.orgId,
    pipeline_id: input.pipelineId,
    stage_id: input.stageId,
    owner_id: input.ownerId,
    expected_close_date: input.expectedCloseDate,
    status: input.status,
    custom_fields: input.customFields,
  };
}

export const createDeal = rest.action({
  key: 'createDeal',
  title: 'Create a Pipedrive deal',
  description:
    'Add a deal to a Pipedrive pipeline with its value, contact person, organization and stage (API v2).',
  effect: 'write',
  // Pipedrive takes no idempotency key: a retry after a lost answer can add the deal twice.
  idempotent: false,
  describeTarget: (withValue) =>
    describeNamed('the Pipedrive pipeline', withValue.pipelineId ?? 'default', { stage: withValue.stageId }),
  input: z.strictObject({
    title: z.string().min(1).max(255).describe('The deal title, e.g. "Acme Corp – 50 seats".'),
    ...dealFields,
  }),
  output: Deal,
  http: { method: 'POST', path: '/v2/deals', json: (input) => dealJson(input) },
  project: (response) => toDeal(dataOf(response.body)),
});

export const updateDeal = rest.action({
  key: 'updateDeal',
  title: 'Update a Pipedrive deal',
  description:
    'Change a Pipedrive deal by id: move it to another stage, mark it won or lost, change its value or owner; fields not given stay as they are.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) => describeNamed('the Pipedrive deal', withValue.dealId),
  input: z.strictObject({
    dealId: PipedriveId.describe('The deal to change, e.g. 42.'),
    title: z.string().min(1).max(255).optional().describe('A new title.'),
    status: z
      .enum(['open', 'won', 'lost'])
      .optional()
      .describe('"won" or "lost" closes the deal; "open" reopens it.'),
    ...dealFields,
  }),
  output: Deal,
  http: { method: 'PATCH', path: '/v2/deals/{dealId}', json: (input) => dealJson(input) },
  project: (response) => toDeal(dataOf(response.body)),
});
