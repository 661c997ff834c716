import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { PhoneNumber } from '../client.ts';
import { rest } from '../kit.ts';

export const MakeCallInput = z
  .strictObject({
    to: PhoneNumber.describe('The number to call in E.164 form, e.g. "+14155550100".'),
    from: PhoneNumber.describe('Your Twilio number the call comes from, e.g. "+14155550199".'),
    twiml: z
      .string()
      .min(1)
      .max(4000)
      .optional()
      .describe(
        'What the call does, as TwiML, e.g. "<Response><Say>Your order has shipped.</Say></Response>" (or give url).',
      ),
    url: z
      .url()
      .optional()
      .describe(
        'Or: a URL Twilio fetches the call’s TwiML from when the person answers, e.g. "https://example.com/voice".',
      ),
    statusCallback: z.url().optional().describe('A URL Twilio POSTs call progress to (completed, busy, …).'),
    timeoutSeconds: z
      .number()
      .int()
      .min(5)
      .max(600)
      .optional()
      .describe('How long it rings before giving up, 5–600 seconds (Twilio’s default 60).'),
    record: z.boolean().optional().describe('Record the call (default false).'),
  })
  .refine((input) => (input.twiml === undefined) !== (input.url === undefined), {
    message: 'give either twiml or url',
    path: ['twiml'],
  });

const CallBody = z.object({
  sid: z.string(),
  status: z.string(),
  to: z.string(),
  from: z.string(),
  date_created: z.string().nullable().optional(),
});

export const makeCall = rest.action({
  key: 'makeCall',
  title: 'Make a phone call with Twilio',
  description:
    'Call a phone number from your Twilio number and play or run TwiML when it is answered (read a message aloud, gather digits, connect to someone).',
  effect: 'write',
  // Twilio's Calls API takes no idempotency key: a retry after a lost answer may place a second call.
  idempotent: false,
  describeTarget: (withValue) => describeNamed('a phone call to', withValue.to, { from: withValue.from }),
  input: MakeCallInput,
  output: z.object({
    sid: z.string().describe('The call SID (CA…).'),
    status: z.string().describe('queued, ringing, in-progress, … (later changes go to statusCallback).'),
    to: z.string().describe('The number called.'),
    from: z.string().describe('The number it comes from.'),
  }),
  http: {
    method: 'POST',
    path: '/Calls.json',
    form: (input) => ({
      To: input.to,
      From: input.from,
      Twiml: input.twiml,
      Url: input.url,
      StatusCallback: input.statusCallback,
      Timeout: input.timeoutSeconds,
      Record: input.record,
    }),
  },
  project(response) {
    const call = CallBody.parse(response.body);
    return { sid: call.sid, status: call.status, to: call.to, from: call.from };
  },
});
