import { z } from 'zod';
import { bindAuth } from '../sdk/auth/auth-style.ts';
import { bearerStyle } from '../sdk/auth/header-styles.ts';
import type { RestApi } from '../sdk/rest/index.ts';

export const TYPEFORM_API_URL = 'https://api.typeform.com';

export const TypeformCredential = z.strictObject({
  token: z
    .string()
    .regex(/^[A-Za-z0-9_\-.]{20,200}$/, 'a Typeform personal access token (tfp_…)')
    .describe('A personal access token (Account → Personal tokens; scopes responses:read, webhooks:write).'),
});
export type TypeformCredential = z.infer<typeof TypeformCredential>;

const TypeformErrorBody = z.object({
  code: z.string().optional(),
  description: z.string().optional(),
  details: z
    .array(
      z.object({
        code: z.string().optional(),
        description: z.string().optional(),
        field: z.string().optional(),
      }),
    )
    .optional(),
});

const CODE_HINTS: Readonly<Record<string, string>> = {
  FORM_NOT_FOUND:
    'Check formId: it is the part after /to/ in the form link (https://x.typeform.com/to/<formId>).',
  AUTHENTICATION_FAILED:
    'The Typeform token was revoked or is wrong: make a new personal token and store it with `vmesh credentials set NAME --type typeform`.',
  FORBIDDEN: 'The token lacks a scope: give it responses:read (and webhooks:write for the trigger).',
  VALIDATION_ERROR: 'Change the parameter the details name (since/until are ISO dates, page_size 1–1000).',
};

/** Typeform's Create, Responses and Webhooks APIs; the error body is `{ code, description, details }`. */
export const typeformApi: RestApi<TypeformCredential> = {
  connector: 'typeform',
  baseUrl: TYPEFORM_API_URL,
  auth: (credential) => bindAuth(bearerStyle, { token: credential.token }),
  vendorError(body) {
    const parsed = TypeformErrorBody.safeParse(body);
    if (!parsed.success || (parsed.data.code === undefined && parsed.data.description === undefined))
      return undefined;
    const detail = parsed.data.details?.[0];
    const described = parsed.data.description ?? parsed.data.code ?? 'Typeform refused the request';
    return {
      message: detail?.description
        ? `${described}: ${detail.field ?? ''} ${detail.description}`.trim()
        : described,
      vendorCode: parsed.data.code,
      hint: parsed.data.code ? CODE_HINTS[parsed.data.code] : undefined,
    };
  },
  hints: {
    401: CODE_HINTS.AUTHENTICATION_FAILED,
    403: CODE_HINTS.FORBIDDEN,
    404: CODE_HINTS.FORM_NOT_FOUND,
  },
};

export const FormId = z
  .string()
  .regex(/^[A-Za-z0-9]{4,32}$/, 'a Typeform form id, e.g. "lT4Z3j"')
  .describe(
    'The form id: the part after /to/ in its link, e.g. "lT4Z3j" for https://x.typeform.com/to/lT4Z3j.',
  );

const RawAnswer = z
  .object({
    field: z.object({ id: z.string(), type: z.string().optional(), ref: z.string().optional() }).loose(),
    type: z.string(),
    text: z.string().optional(),
    email: z.string().optional(),
    number: z.number().optional(),
    boolean: z.boolean().optional(),
    date: z.string().optional(),
    url: z.string().optional(),
    file_url: z.string().optional(),
    phone_number: z.string().optional(),
    choice: z.object({ label: z.string().optional(), other: z.string().optional() }).loose().optional(),
    choices: z
      .object({ labels: z.array(z.string()).optional(), other: z.string().optional() })
      .loose()
      .optional(),
    payment: z
      .object({ amount: z.string(), last4: z.string().optional(), success: z.boolean() })
      .loose()
      .optional(),
  })
  .loose();

export const Answer = z.object({
  fieldId: z.string().describe('The question’s id.'),
  ref: z.string().nullable().describe('The question’s ref (stable name set in the form’s logic), or null.'),
  title: z.string().nullable().describe('The question as shown, when the delivery includes it.'),
  type: z.string().describe('The answer type: text, email, number, boolean, date, choice, choices, url, …'),
  value: z
    .union([z.string(), z.number(), z.boolean(), z.array(z.string()), z.null()])
    .describe('The answer: text, a number, true/false, a choice label, or a list of labels.'),
});
export type Answer = z.infer<typeof Answer>;

function answerValue(answer: z.infer<typeof RawAnswer>): Answer['value'] {
  switch (answer.type) {
    case 'choice':
      return answer.choice?.label ?? answer.choice?.other ?? null;
    case 'choices':
      return [...(answer.choices?.labels ?? []), ...(answer.choices?.other ? [answer.choices.other] : [])];
    case 'payment':
      return answer.payment ? `${answer.payment.amount}${answer.payment.success ? '' : ' (failed)'}` : null;
    default:
      return (
        answer.text ??
        answer.email ??
        answer.number ??
        answer.boolean ??
        answer.date ??
        answer.url ??
        answer.file_url ??
        answer.phone_number ??
        null
      );
  }
}

const MAX_ANSWERS = 500;

/** Answers in the connector's shape; `titles` maps field ids to the question text (a webhook's definition). */
export function toAnswers(raw: unknown, titles: ReadonlyMap<string, string> = new Map()): Answer[] {
  const list = z
    .array(RawAnswer)
    .max(MAX_ANSWERS)
    .catch([])
    .parse(raw ?? []);
  return list.map((answer) => ({
    fieldId: answer.field.id,
    ref: answer.field.ref ?? null,
    title: titles.get(answer.field.id) ?? null,
    type: answer.type,
    value: answerValue(answer),
  }));
}

/** `{ ref or field id: value }`, for expressions like `{{ trigger.values.email }}`. */
export function valuesByRef(answers: readonly Answer[]): Record<string, Answer['value']> {
  return Object.fromEntries(answers.map((answer) => [answer.ref ?? answer.fieldId, answer.value]));
}

const StringRecord = z.record(z.string(), z.string()).catch({});

export const RawResponse = z
  .object({
    token: z.string(),
    response_id: z.string().optional(),
    landed_at: z.string().nullable().optional(),
    submitted_at: z.string().nullable().optional(),
    hidden: StringRecord.optional(),
    calculated: z.object({ score: z.number().optional() }).loose().optional(),
    answers: z.unknown().optional(),
  })
  .loose();

export const TypeformResponse = z.object({
  responseId: z.string().describe('The response’s token (its id).'),
  submittedAt: z.string().nullable().describe('When it was submitted (ISO); null for a partial response.'),
  landedAt: z.string().nullable().describe('When the person opened the form (ISO).'),
  answers: z.array(Answer).describe('The answers, in the order of the form.'),
  values: z
    .record(z.string(), Answer.shape.value)
    .describe('The answers by question ref (or field id), e.g. values.email.'),
  hidden: z
    .record(z.string(), z.string())
    .describe('Hidden fields passed in the form link, e.g. { utm_source }.'),
  score: z.number().nullable().describe('The calculated score, when the form has one.'),
});
export type TypeformResponse = z.infer<typeof TypeformResponse>;

export function toResponse(raw: unknown, titles?: ReadonlyMap<string, string>): TypeformResponse {
  const response = RawResponse.parse(raw);
  const answers = toAnswers(response.answers, titles);
  return {
    responseId: response.token,
    submittedAt: response.submitted_at ?? null,
    landedAt: response.landed_at ?? null,
    answers,
    values: valuesByRef(answers),
    hidden: response.hidden ?? {},
    score: response.calculated?.score ?? null,
  };
}
