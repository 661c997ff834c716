import { z } from 'zod';
import { bindAuth } from '../sdk/auth/auth-style.ts';
import { basicStyle } from '../sdk/auth/header-styles.ts';
import type { RestApi, RestClient } from '../sdk/rest/index.ts';

/** Twilio's REST API, version 2010-04-01: every resource is under /Accounts/{AccountSid}. */
export const TWILIO_API_URL = 'https://api.twilio.com/2010-04-01';

const AccountSid = z
  .string()
  .regex(/^AC[0-9a-fA-F]{32}$/, 'an Account SID: AC followed by 32 hex characters')
  .describe('The Account SID (AC…), from the Twilio Console’s Account Info.');

export const TwilioCredential = z.union([
  z.strictObject({
    accountSid: AccountSid,
    authToken: z
      .string()
      .regex(/^[A-Za-z0-9]{32,64}$/, 'the Auth Token: 32 hex characters')
      .describe('The account’s Auth Token (Console → Account Info).'),
  }),
  z.strictObject({
    accountSid: AccountSid,
    apiKeySid: z
      .string()
      .regex(/^SK[0-9a-fA-F]{32}$/, 'an API key SID: SK followed by 32 hex characters')
      .describe('An API key’s SID (SK…), from Console → API keys & tokens.'),
    apiKeySecret: z.string().min(16).max(128).describe('The API key’s secret, shown once when it was made.'),
  }),
]);
export type TwilioCredential = z.infer<typeof TwilioCredential>;

/** Basic auth as Twilio takes it: AccountSid:AuthToken, or ApiKeySid:ApiKeySecret for the account. */
export function basicPairOf(credential: TwilioCredential): { username: string; password: string } {
  return 'authToken' in credential
    ? { username: credential.accountSid, password: credential.authToken }
    : { username: credential.apiKeySid, password: credential.apiKeySecret };
}

const TwilioErrorBody = z.object({
  code: z.number().int().optional(),
  message: z.string().optional(),
  more_info: z.string().optional(),
  status: z.number().int().optional(),
});

/** Hints for the error codes people meet most (https://www.twilio.com/docs/api/errors). */
const CODE_HINTS: Readonly<Record<number, string>> = {
  20003:
    'The Account SID and Auth Token (or API key) were refused: copy them again from the Twilio Console and store them with `vmesh credentials set NAME --type twilio`.',
  20404: 'Check the SID in the request: the resource does not exist in this account.',
  20429: 'Twilio is rate limiting this account; the step is retried after the wait.',
  21211: 'The "to" number is not a valid phone number: write it in E.164 form, e.g. +14155550100.',
  21408: 'This account may not send to that country: enable it under Messaging → Settings → Geo permissions.',
  21606:
    'The "from" number cannot send this kind of message: use a number of this account that is SMS-capable.',
  21608:
    'A trial account may only send to verified numbers: verify the number in the Console or upgrade the account.',
  21610: 'The recipient replied STOP: Twilio sends nothing to them until they reply START.',
  63016:
    'WhatsApp only allows free-form messages within 24 hours of the person’s last message: send an approved template (contentSid) instead.',
};

export const twilioApi: RestApi<TwilioCredential> = {
  connector: 'twilio',
  baseUrl: TWILIO_API_URL,
  auth: (credential) => bindAuth(basicStyle, basicPairOf(credential)),
  vendorError(body) {
    const parsed = TwilioErrorBody.safeParse(body);
    if (!parsed.success || parsed.data.code === undefined) return undefined;
    const { code, message } = parsed.data;
    return {
      message: message ?? `Twilio error ${code}`,
      vendorCode: String(code),
      hint: CODE_HINTS[code],
      ...(code === 20429 ? { retryable: true } : {}),
    };
  },
  hints: {
    400: 'Change the parameter the message names (numbers in E.164 form, e.g. +14155550100).',
    401: 'The Twilio credential was refused (the Auth Token was rotated or the API key deleted): store the current one with `vmesh credentials set NAME --type twilio`.',
    403: 'This account may not do that (a trial or suspended account, or a number it does not own).',
    404: 'Check the SID: it does not exist in this account.',
  },
};

/** A client whose paths are under the credential's account: "/Messages.json" → /Accounts/AC…/Messages.json. */
export function accountScoped(client: RestClient, accountSid: string | undefined): RestClient {
  return {
    connector: client.connector,
    baseUrl: client.baseUrl,
    send(request, signal) {
      if ('url' in request || accountSid === undefined) return client.send(request, signal);
      const path = request.path.replace(/^\/+/, '');
      const joined = path.startsWith('.')
        ? `Accounts/${accountSid}${path}`
        : `Accounts/${accountSid}/${path}`;
      return client.send({ ...request, path: joined }, signal);
    },
  };
}

/** A phone number in E.164 form, as Twilio takes it. */
export const PhoneNumber = z
  .string()
  .regex(/^\+[1-9]\d{6,14}$/, 'a phone number in E.164 form, e.g. +14155550100');
