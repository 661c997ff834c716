import { z } from 'zod';
import { defineTrigger, type WebhookDelivery } from '../../sdk/define.ts';
import { verifyTwilioSignature } from '../signature.ts';

export const IncomingMessageFilters = z.strictObject({
  channel: z
    .enum(['sms', 'whatsapp', 'any'])
    .default('any')
    .describe('Only SMS/MMS, only WhatsApp, or both (default "any").'),
  to: z
    .string()
    .regex(/^\+[1-9]\d{6,14}$/, 'a phone number in E.164 form')
    .optional()
    .describe('Only messages to this one of your numbers, e.g. "+14155550199".'),
  keywords: z
    .array(z.string().min(1).max(40))
    .max(50)
    .optional()
    .describe('Only messages whose first word is one of these (any case), e.g. ["ORDER", "STATUS"].'),
});
export type IncomingMessageFilters = z.infer<typeof IncomingMessageFilters>;

export const IncomingMessageData = z.object({
  messageSid: z.string().describe('Twilio’s id of the message (SM… or MM…).'),
  accountSid: z.string().describe('The account it arrived at (AC…).'),
  channel: z.enum(['sms', 'whatsapp']).describe('"sms" or "whatsapp".'),
  from: z
    .string()
    .describe('The sender’s number in E.164 form, without the whatsapp: prefix (answer to it).'),
  to: z.string().describe('Your number it was sent to, E.164 without the whatsapp: prefix.'),
  body: z.string().describe('The text of the message (may be empty when it only has media).'),
  media: z
    .array(z.object({ url: z.string().describe('Where Twilio keeps the file.'), contentType: z.string() }))
    .describe('Attached files (MMS / WhatsApp media).'),
  profileName: z.string().nullable().describe('The sender’s WhatsApp profile name, or null.'),
  messagingServiceSid: z.string().nullable().describe('The Messaging Service it came through, or null.'),
});
export type IncomingMessageData = z.infer<typeof IncomingMessageData>;

const MAX_MEDIA = 10;
const MAX_FIELD = 4_000;

const form = (delivery: WebhookDelivery) => new URLSearchParams(delivery.rawBody.toString('utf8'));

function field(params: URLSearchParams, name: string): string | undefined {
  const value = params.get(name);
  return value === null ? undefined : value.slice(0, MAX_FIELD);
}

function withoutPrefix(address: string): { channel: 'sms' | 'whatsapp'; number: string } {
  return address.startsWith('whatsapp:')
    ? { channel: 'whatsapp', number: address.slice('whatsapp:'.length) }
    : { channel: 'sms', number: address };
}

/** Trigger data from Twilio's form-encoded incoming-message request; undefined when it is no message. */
export function parseTwilioMessage(rawBody: Buffer): IncomingMessageData | undefined {
  const params = new URLSearchParams(rawBody.toString('utf8'));
  const messageSid = field(params, 'MessageSid') ?? field(params, 'SmsSid');
  const accountSid = field(params, 'AccountSid');
  const fromAddress = field(params, 'From');
  const toAddress = field(params, 'To');
  if (!messageSid || !accountSid || !fromAddress || !toAddress) return undefined;
  const from = withoutPrefix(fromAddress);
  const count = Math.min(MAX_MEDIA, Number.parseInt(params.get('NumMedia') ?? '0', 10) || 0);
  const media = Array.from({ length: count }, (_, index) => ({
    url: field(params, `MediaUrl${index}`) ?? '',
    contentType: field(params, `MediaContentType${index}`) ?? 'application/octet-stream',
  })).filter((item) => item.url !== '');
  return {
    messageSid,
    accountSid,
    channel: from.channel,
    from: from.number,
    to: withoutPrefix(toAddress).number,
    body: field(params, 'Body') ?? '',
    media,
    profileName: field(params, 'ProfileName') ?? null,
    messagingServiceSid: field(params, 'MessagingServiceSid') ?? null,
  };
}

function signatureOf(delivery: WebhookDelivery): string | undefined {
  const value = delivery.headers['x-twilio-signature'];
  return typeof value === 'string' ? value : undefined;
}

/** Empty TwiML: Twilio sends no automatic answer (the workflow answers with twilio.sendMessage). */
export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

export const incomingMessage = defineTrigger({
  key: 'incomingMessage',
  title: 'Incoming SMS or WhatsApp message at Twilio',
  description:
    'Starts the workflow for each SMS/MMS or WhatsApp message to your Twilio number, checked by Twilio’s X-Twilio-Signature (the hook secret is the account’s Auth Token).',
  kind: 'webhook',
  with: IncomingMessageFilters,
  data: IncomingMessageData,
  senderEvents: ['A message comes in (Phone Numbers → the number → Messaging → Webhook, HTTP POST)'],
  sample: {
    messageSid: 'SM1f0e8ae6ade43cb3c0ce4525424e404f',
    accountSid: 'ACae6e420f425248d6a26948c17a9e2acf',
    channel: 'sms',
    from: '+14155550100',
    to: '+14155550199',
    body: 'STATUS 1042',
    media: [],
    profileName: null,
    messagingServiceSid: null,
  } satisfies IncomingMessageData,
  verify: (delivery, secret) =>
    verifyTwilioSignature(secret, delivery.url, delivery.rawBody, signatureOf(delivery)),
  deliveryId(delivery) {
    const token = delivery.headers['i-twilio-idempotency-token'];
    if (typeof token === 'string' && token.length > 0 && token.length <= 200) return `twilio:${token}`;
    const sid = form(delivery).get('MessageSid');
    return sid && sid.length <= 64 ? `twilio:${sid}` : undefined;
  },
  parse: (delivery) => parseTwilioMessage(delivery.rawBody),
  reply: { contentType: 'text/xml; charset=utf-8', body: EMPTY_TWIML },
  matches(filters, data) {
    const parsed = IncomingMessageData.safeParse(data);
    if (!parsed.success) return false;
    const message = parsed.data;
    if (filters.channel !== 'any' && filters.channel !== message.channel) return false;
    if (filters.to !== undefined && filters.to !== message.to) return false;
    if (filters.keywords) {
      const first = message.body.trim().split(/\s+/)[0]?.toUpperCase() ?? '';
      if (!filters.keywords.some((keyword) => keyword.toUpperCase() === first)) return false;
    }
    return true;
  },
});
