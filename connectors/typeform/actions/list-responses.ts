import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { FormId, TypeformResponse, toResponse } from '../client.ts';
import { rest } from '../kit.ts';

export const ListResponsesInput = z.strictObject({
  formId: FormId,
  since: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('Only responses submitted at or after this time (ISO), e.g. "2026-12-01T00:00:00Z".'),
  until: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('Only responses submitted at or before this time (ISO), e.g. "2026-12-31T23:59:59Z".'),
  completed: z
    .boolean()
    .default(true)
    .describe('true (default): submitted responses only; false: partial ones only.'),
  query: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Only responses with this text in an answer or hidden field, e.g. "ana@example.com".'),
  limit: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(100)
    .describe('At most this many responses, newest first (1–1000, default 100).'),
});

const PAGE_SIZE = 200;
const ResponsePage = z.object({
  total_items: z.number().int().optional(),
  page_count: z.number().int().optional(),
  items: z.array(z.object({ token: z.string() }).loose()),
});

export const listResponses = rest.list({
  key: 'listResponses',
  title: 'List Typeform responses',
  description:
    'List the responses to a Typeform form, newest first, with each answer by question ref; filter by submission time, completeness or text.',
  effect: 'read',
  idempotent: true,
  describeTarget: (withValue) => describeNamed('the Typeform form', withValue.formId),
  input: ListResponsesInput,
  output: z.object({
    responses: z.array(TypeformResponse).describe('Responses, newest first.'),
    truncated: z.boolean().describe('True when more responses matched than `limit`.'),
  }),
  http: {
    method: 'GET',
    path: '/forms/{formId}/responses',
    query: (input) => ({
      page_size: Math.min(PAGE_SIZE, input.limit),
      since: input.since,
      until: input.until,
      completed: input.completed,
      query: input.query,
      sort: 'submitted_at,desc',
    }),
  },
  paginate: {
    // Typeform pages by the token of the last response seen (`before`); page_count counts this page and the rest.
    style: 'cursor',
    cursorParam: 'before',
    items: (body) => ResponsePage.parse(body).items,
    nextCursor(body) {
      const page = ResponsePage.parse(body);
      return (page.page_count ?? 1) > 1 ? page.items.at(-1)?.token : undefined;
    },
    maxItems: (input) => input.limit,
  },
  project: (collected) => ({
    responses: collected.items.map((item) => toResponse(item)),
    truncated: collected.truncated,
  }),
});
