import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { PhoneNumber } from '../client.ts';
import { rest } from '../kit.ts';

const MessagingServiceSid = z.string().regex(/^MG[0-9a-fA-F]{32}$/, 'a Messaging Service SID (MG…)');

export const SendMessageInput = z
  .strictObject({
    channel: z
      .enum(['sms', 'whatsapp'])
      .default('sms')
      .describe('"sms" (also MMS with mediaUrls) or "whatsapp" (the numbers get Twilio’s whatsapp: prefix).'),
    to: PhoneNumber.describe('The recipient in E.164 form, e.g. "+14155550100".'),
    from: PhoneNumber.optional().describe(
      'Your Twilio number (or WhatsApp sender) in E.164 form, e.g. "+14155550199"; or give messagingServiceSid.',
    ),
    messagingServiceSid: MessagingServiceSid.optional().describe(
      'A Messaging Service that picks the sender, e.g. "MG9752274e9e519418a7406176694466fa" (instead of from).',
    ),
    body: z
      .string()
      .min(1)
      .max(1600)
      .optional()
      .describe('The text, up to 1600 characters, e.g. "Your order 1042 has shipped."'),
    mediaUrls: z
      .array(z.url())
      .max(10)
      .optional()
      .describe(
        'Public URLs of images or files to attach (MMS / WhatsApp media), e.g. ["https://example.com/a.jpg"].',
      ),
    contentSid: z
      .string()
      .regex(/^HX[0-9a-fA-F]{32}$/, 'a Content template SID (HX…)')
      .optional()
      .describe('An approved Content template (HX…), required for WhatsApp outside the 24-hour window.'),
    contentVariables: z
      .record(z.string().max(20), z.string().max(1000))
      .optional()
      .describe('Values of the template’s placeholders, e.g. {"1": "Ana", "2": "1042"}.'),
    statusCallback: z
      .url()
      .optional()
      .describe('A URL Twilio POSTs delivery status changes to, e.g. a vmesh hook URL.'),
  })
  .refine((input) => input.from !== undefined || input.messagingServiceSid !== undefined, {
    message: 'give from (your Twilio number) or messagingServiceSid',
    path: ['from'],
  })
  .refine(
    (input) => input.body !== undefined || input.mediaUrls !== undefined || input.contentSid !== undefined,
    {
      message: 'give body, mediaUrls or contentSid',
      path: ['body'],
    },
  );

const MessageBody = z.object({
  sid: z.string(),
  status: z.string(),
  to: z.string(),
  from: z.string().nullable(),
  body: z.string().nullable().optional(),
  num_segments: z.string().nullable().optional(),
  date_created: z.string().nullable().optional(),
  error_code: z.number().nullable().optional(),
});

export const SentMessage = z.object({
  sid: z.string().describe('The message SID (SM… or MM…).'),
  status: z.string().describe('queued, sending, sent, … (later changes go to statusCallback).'),
  to: z.string().describe('The recipient as Twilio wrote it (whatsapp:+… for WhatsApp).'),
  from: z.string().nullable().describe('The sender, or null while a Messaging Service picks one.'),
  segments: z.number().int().nullable().describe('How many SMS segments it is billed as.'),
});

function address(channel: 'sms' | 'whatsapp', number: string | undefined): string | undefined {
  if (number === undefined) return undefined;
  return channel === 'whatsapp' ? `whatsapp:${number}` : number;
}

export const sendMessage = rest.action({
  key: 'sendMessage',
  title: 'Send an SMS or WhatsApp message with Twilio',
  description:
    'Send a text message (SMS/MMS, or WhatsApp through Twilio) from your Twilio number or Messaging Service to a phone number; WhatsApp outside 24 hours of the person’s last message needs an approved template (contentSid).',
  effect: 'write',
  // Twilio's Messages API takes no idempotency key: a retry after a lost answer may send a second message.
  idempotent: false,
  describeTarget: (withValue) =>
    describeNamed(
      withValue.channel === 'whatsapp' ? 'the WhatsApp number' : 'the phone number',
      withValue.to,
      {
        from: withValue.from ?? withValue.messagingServiceSid,
      },
    ),
  input: SendMessageInput,
  output: SentMessage,
  http: {
    method: 'POST',
    path: '/Messages.json',
    form: (input) => ({
      To: address(input.channel, input.to),
      From: address(input.channel, input.from),
      MessagingServiceSid: input.messagingServiceSid,
      Body: input.body,
      MediaUrl: input.mediaUrls,
      ContentSid: input.contentSid,
      ContentVariables: input.contentVariables ? JSON.stringify(input.contentVariables) : undefined,
      StatusCallback: input.statusCallback,
    }),
  },
  project(response) {
    const message = MessageBody.parse(response.body);
    const segments = message.num_segments ? Number.parseInt(message.num_segments, 10) : Number.NaN;
    return {
      sid: message.sid,
      status: message.status,
      to: message.to,
      from: message.from,
      segments: Number.isFinite(segments) ? segments : null,
    };
  },
});
