import { z } from 'zod';
import { bindAuth } from '../sdk/auth/auth-style.ts';
import { bearerStyle } from '../sdk/auth/header-styles.ts';
import type { RestApi, RestClient, RestResponse } from '../sdk/rest/index.ts';

/** The Graph API version the Cloud API calls use. */
export const WHATSAPP_API_URL = 'https://graph.facebook.com/v21.0';

export const WhatsappCredential = z.strictObject({
  accessToken: z
    .string()
    .regex(/^[A-Za-z0-9_\-.|]{20,1000}$/, 'a Meta access token (EAA…)')
    .describe(
      'A System User access token with whatsapp_business_messaging (Business Settings → System users).',
    ),
  phoneNumberId: z
    .string()
    .regex(/^\d{5,20}$/, 'the numeric Phone number ID (not the phone number)')
    .describe('The sender’s Phone number ID, from WhatsApp → API Setup in the app dashboard.'),
});
export type WhatsappCredential = z.infer<typeof WhatsappCredential>;

const GraphErrorBody = z.object({
  error: z.object({
    message: z.string().optional(),
    type: z.string().optional(),
    code: z.number().int().optional(),
    error_subcode: z.number().int().optional(),
    error_data: z.object({ details: z.string().optional() }).loose().optional(),
    fbtrace_id: z.string().optional(),
  }),
});

/** Codes of https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes people meet most. */
const CODE_HINTS: Readonly<Record<number, string>> = {
  190: 'The access token expired or was revoked (a temporary token lasts 24 hours): make a System User token in Business Settings and store it with `vmesh credentials set NAME --type whatsapp`.',
  10: 'The token lacks the whatsapp_business_messaging permission, or the number is not in this app’s WhatsApp Business Account.',
  100: 'Change the parameter the message names (to is the number with country code, e.g. 14155550100).',
  130429: 'The number’s throughput limit was reached; the step is retried after a short wait.',
  131056: 'Too many messages to this one person in a short time; the step is retried after a wait.',
  131047:
    'More than 24 hours since the person last wrote: send an approved template (whatsappSendTemplate) instead.',
  131026:
    'The message could not be delivered: the number may not be on WhatsApp or has not accepted the terms.',
  132001:
    'The template does not exist in that language: check templateName and languageCode in WhatsApp Manager.',
  132000: 'The number of template parameters does not match the template’s placeholders.',
  131053:
    'The media could not be uploaded: check the file type and size (images ≤ 5 MB, documents ≤ 100 MB).',
};

/** How long a rate-limited send waits before it is tried again. */
const RATE_LIMIT_WAIT_MS: Readonly<Record<number, number>> = {
  130429: 1_000,
  131056: 6_000,
  4: 60_000,
  80007: 60_000,
};

export const whatsappApi: RestApi<WhatsappCredential> = {
  connector: 'whatsapp',
  baseUrl: WHATSAPP_API_URL,
  auth: (credential) => bindAuth(bearerStyle, { token: credential.accessToken }),
  vendorError(body) {
    const parsed = GraphErrorBody.safeParse(body);
    if (!parsed.success) return undefined;
    const { message, code, error_subcode: subcode, error_data: data, fbtrace_id: trace } = parsed.data.error;
    const wait = code === undefined ? undefined : RATE_LIMIT_WAIT_MS[code];
    const details = data?.details && data.details !== message ? ` (${data.details})` : '';
    return {
      message: `${message ?? 'The Graph API refused the request'}${details}${trace ? ` [fbtrace_id ${trace}]` : ''}`,
      vendorCode:
        code === undefined ? undefined : subcode === undefined ? String(code) : `${code}/${subcode}`,
      hint: code === undefined ? undefined : CODE_HINTS[code],
      ...(wait === undefined ? {} : { retryable: true, retryAfterMs: wait }),
    };
  },
  hints: {
    401: CODE_HINTS[190],
    403: CODE_HINTS[10],
  },
};

/** A client whose paths are under the credential's phone number: "/messages" → /{phone-number-id}/messages. */
export function phoneNumberScoped(client: RestClient, phoneNumberId: string | undefined): RestClient {
  return {
    connector: client.connector,
    baseUrl: client.baseUrl,
    send(request, signal) {
      if ('url' in request || phoneNumberId === undefined) return client.send(request, signal);
      const rest = request.path.replace(/^\/+/, '');
      return client.send({ ...request, path: rest ? `${phoneNumberId}/${rest}` : phoneNumberId }, signal);
    },
  };
}

export const Recipient = z
  .string()
  .regex(/^\+?[1-9]\d{6,14}$/, 'a phone number with country code, e.g. 14155550100')
  .describe(
    'The recipient’s WhatsApp number with country code, e.g. "14155550100" (from the trigger: {{ trigger.from }}).',
  );

export const ReplyTo = z
  .string()
  .min(1)
  .max(200)
  .optional()
  .describe('Quote this message (a wamid… id, e.g. {{ trigger.messageId }}).');

const SendAnswer = z.object({
  contacts: z.array(z.object({ input: z.string().optional(), wa_id: z.string() }).loose()).optional(),
  messages: z.array(z.object({ id: z.string(), message_status: z.string().optional() }).loose()).min(1),
});

export const SentMessage = z.object({
  messageId: z.string().describe('WhatsApp’s id of the message (wamid…); delivery updates name it.'),
  waId: z.string().nullable().describe('The recipient’s WhatsApp id, or null.'),
  status: z
    .string()
    .nullable()
    .describe('accepted (or held_for_quality_assessment for a template), when given.'),
});

export function toSentMessage(response: RestResponse): z.infer<typeof SentMessage> {
  const answer = SendAnswer.parse(response.body);
  const [message] = answer.messages;
  return {
    messageId: message?.id ?? '',
    waId: answer.contacts?.[0]?.wa_id ?? null,
    status: message?.message_status ?? null,
  };
}

/** The body every send starts with; `to` without a leading +. */
export function envelope(to: string, replyTo: string | undefined) {
  return {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: to.replace(/^\+/, ''),
    ...(replyTo ? { context: { message_id: replyTo } } : {}),
  };
}
