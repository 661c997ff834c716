import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { ConnectorError } from '../../sdk/connector-error.ts';
import { defineTrigger, type WebhookDelivery, type WebhookSubscription } from '../../sdk/define.ts';
import type { RestClient } from '../../sdk/rest/index.ts';
import { Answer, FormId, type TypeformCredential, toResponse } from '../client.ts';

export const ResponseSubmittedFilters = z.strictObject({
  formId: FormId,
  hidden: z
    .record(z.string().min(1).max(100), z.string().max(500))
    .optional()
    .describe('Only responses whose hidden fields have these values, e.g. {"source": "newsletter"}.'),
});
export type ResponseSubmittedFilters = z.infer<typeof ResponseSubmittedFilters>;

export const ResponseSubmittedData = z.object({
  eventId: z.string().describe('Typeform’s id of this delivery.'),
  formId: z.string().describe('The form.'),
  formTitle: z.string().nullable().describe('The form’s title.'),
  responseId: z.string().describe('The response’s token (its id).'),
  submittedAt: z.string().nullable().describe('When it was submitted (ISO).'),
  landedAt: z.string().nullable().describe('When the person opened the form (ISO).'),
  answers: z.array(Answer).describe('The answers with their questions, in the order of the form.'),
  values: z
    .record(z.string(), Answer.shape.value)
    .describe('The answers by question ref (or field id): {{ trigger.values.email }}.'),
  hidden: z.record(z.string(), z.string()).describe('Hidden fields passed in the form link.'),
  score: z.number().nullable().describe('The calculated score, when the form has one.'),
});
export type ResponseSubmittedData = z.infer<typeof ResponseSubmittedData>;

const Delivery = z.object({
  event_id: z.string().min(1).max(200),
  event_type: z.string(),
  form_response: z
    .object({
      form_id: z.string(),
      token: z.string(),
      definition: z
        .object({
          title: z.string().optional(),
          fields: z
            .array(z.object({ id: z.string(), title: z.string().optional() }).loose())
            .max(500)
            .optional(),
        })
        .loose()
        .optional(),
    })
    .loose(),
});

/** Trigger data from a Typeform webhook delivery; undefined for anything but a completed `form_response`. */
export function parseTypeformDelivery(body: unknown): ResponseSubmittedData | undefined {
  const delivery = Delivery.safeParse(body);
  if (!delivery.success || delivery.data.event_type !== 'form_response') return undefined;
  const { form_response: form } = delivery.data;
  const titles = new Map(
    (form.definition?.fields ?? []).flatMap((field) =>
      field.title ? [[field.id, field.title] as const] : [],
    ),
  );
  const response = toResponse(form, titles);
  return {
    eventId: delivery.data.event_id,
    formId: form.form_id,
    formTitle: form.definition?.title ?? null,
    ...response,
  };
}

/** `Typeform-Signature: sha256=<base64 HMAC-SHA256 of the raw body>` with the webhook's secret. */
export function verifyTypeformSignature(
  rawBody: Buffer,
  header: string | undefined,
  secret: string,
): boolean {
  const match = /^sha256=([A-Za-z0-9+/]{43}=)$/.exec(header?.trim() ?? '');
  if (!match?.[1] || secret.length === 0) return false;
  const given = Buffer.from(match[1], 'base64');
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function signatureOf(delivery: WebhookDelivery): string | undefined {
  const value = delivery.headers['typeform-signature'];
  return typeof value === 'string' ? value : undefined;
}

/** One webhook per workflow, named by a tag derived from its hook URL, so a retried create updates the same one. */
export function webhookTagOf(url: string): string {
  return `vmesh-${createHash('sha256').update(url).digest('hex').slice(0, 20)}`;
}

const webhookSubscription: WebhookSubscription<ResponseSubmittedFilters, TypeformCredential, RestClient> = {
  target: (filters) => filters.formId,
  async create(ctx, filters, hook) {
    const tag = webhookTagOf(hook.url);
    // PUT creates or updates the form's webhook with this tag: a retry sets the same URL and the new secret.
    await ctx.client.send(
      {
        method: 'PUT',
        path: `/forms/${encodeURIComponent(filters.formId)}/webhooks/${tag}`,
        json: {
          url: hook.url,
          enabled: true,
          secret: hook.secret,
          verify_ssl: true,
          event_types: { form_response: true },
        },
      },
      ctx.signal,
    );
    return { id: tag };
  },
  async delete(ctx, filters, subscription) {
    try {
      await ctx.client.send(
        {
          method: 'DELETE',
          path: `/forms/${encodeURIComponent(filters.formId)}/webhooks/${encodeURIComponent(subscription.id)}`,
        },
        ctx.signal,
      );
    } catch (error) {
      if (!(error instanceof ConnectorError && error.status === 404)) throw error;
    }
  },
};

export const responseSubmitted = defineTrigger({
  key: 'responseSubmitted',
  title: 'Typeform response submitted',
  description:
    'Starts the workflow for each completed response to a Typeform form, with the answers by question; registers the form’s webhook itself (with trigger.credential), checked by Typeform-Signature.',
  kind: 'webhook',
  with: ResponseSubmittedFilters,
  data: ResponseSubmittedData,
  senderEvents: ['form_response'],
  sample: {
    eventId: '01HZX3Q7T9Y8V0ZK3Q6GQ2N5AB',
    formId: 'lT4Z3j',
    formTitle: 'Event signup',
    responseId: 'a3a12ec67a1365927098a606107fac15',
    submittedAt: '2026-12-04T09:30:00Z',
    landedAt: '2026-12-04T09:28:51Z',
    answers: [
      { fieldId: 'JwWggjAKtOkA', ref: 'name', title: 'What is your name?', type: 'text', value: 'Ana' },
      {
        fieldId: 'SMEUb7VJz92Q',
        ref: 'email',
        title: 'Your email?',
        type: 'email',
        value: 'ana@example.com',
      },
    ],
    values: { name: 'Ana', email: 'ana@example.com' },
    hidden: { source: 'newsletter' },
    score: null,
  } satisfies ResponseSubmittedData,
  verify: (delivery, secret) => verifyTypeformSignature(delivery.rawBody, signatureOf(delivery), secret),
  deliveryId(delivery) {
    const id = z.object({ event_id: z.string().min(1).max(200) }).safeParse(delivery.body);
    return id.success ? `typeform:${id.data.event_id}` : undefined;
  },
  parse: (delivery) => parseTypeformDelivery(delivery.body),
  subscription: webhookSubscription,
  matches(filters, data) {
    const parsed = ResponseSubmittedData.safeParse(data);
    if (!parsed.success || parsed.data.formId !== filters.formId) return false;
    const wanted = Object.entries(filters.hidden ?? {});
    return wanted.every(([name, value]) => parsed.data.hidden[name] === value);
  },
});
