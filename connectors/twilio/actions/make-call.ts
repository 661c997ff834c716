import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { PhoneNumber } from '../client.ts';
import { rest } from '../kit.ts';

export const MakeCallInput = z
  .strictObject({
    to: PhoneNumber.describe('The number to call in E.164 form, e.g. "+14155550100".'),
    from: PhoneNumber.describe('Your Twilio number the call comes from, e.g. "+14155550199".'),
    say: z
      .string()
      .min(1)
      .max(3000)
      .optional()
      .describe(
        'Text read aloud when the person answers, e.g. "Your order {{ trigger.orderId }} has shipped."',
      ),
    language: z
      .string()
      .regex(/^[a-z]{2}-[A-Z]{2}$/, 'a language such as en-US')
      .optional()
      .describe('The language `say` is read in, e.g. "de-DE" (default en-US).'),
    twiml: z
      .string()
      .min(1)
      .max(4000)
      .optional()
      .describe(
        'Or: what the call does, as TwiML written literally (no expressions), e.g. "<Response><Say>Hello.</Say></Response>".',
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
  .refine(
    (input) => [input.say, input.twiml, input.url].filter((value) => value !== undefined).length === 1,
    {
      message: 'give exactly one of say, twiml or url',
      path: ['say'],
    },
  );

const XML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** `say` as TwiML: the text escaped, so data from a trigger can never add a verb (a <Dial> to another number). */
export function sayTwiml(text: string, language: string | undefined): string {
  const escaped = text.replace(/[&<>"']/g, (char) => XML_ESCAPES[char] ?? char);
  const attribute = language ? ` language="${language}"` : '';
  return `<Response><Say${attribute}>${escaped}</Say></Response>`;
}

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
    'Call a phone number from your Twilio number and read a message aloud when it is answered (or run TwiML you wrote, or TwiML from your URL).',
  effect: 'write',
  // TwiML is code Twilio runs: only text the workflow author wrote, never a value from a trigger or a step.
  literalInputs: ['twiml'],
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
      Twiml: input.say === undefined ? input.twiml : sayTwiml(input.say, input.language),
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
