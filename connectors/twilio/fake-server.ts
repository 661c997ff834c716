import { randomBytes, randomUUID } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import {
  FailureQueue,
  type InjectedFailure,
  listenLocal,
  type RecordedRequest,
  recordRequest,
  sendFailure,
} from '../testing/fake-server.ts';
import { signTwilioRequest } from './signature.ts';

export type FakeTwilioMessage = {
  sid: string;
  to: string;
  from: string | null;
  body: string;
  mediaUrls: string[];
  messagingServiceSid: string | null;
  contentSid: string | null;
  contentVariables: string | null;
};

export type FakeTwilioCall = {
  sid: string;
  to: string;
  from: string;
  twiml: string | null;
  url: string | null;
};

export type TwilioFake = {
  /** Give as env.baseUrls.twilio (the /2010-04-01 root). */
  url: string;
  accountSid: string;
  authToken: string;
  apiKeySid: string;
  apiKeySecret: string;
  /** The account's numbers (E.164); messages and calls must come from one of them. */
  numbers: string[];
  /** Form bodies arrive as objects of strings (a repeated parameter as an array). */
  requests: RecordedRequest[];
  messages(): FakeTwilioMessage[];
  calls(): FakeTwilioCall[];
  /** The Auth Token is rotated (Console → Auth Tokens → promote secondary): the old one and the API key stop working. */
  revoke(): void;
  /** Route keys: `POST Messages.json`, `POST Calls.json`, `GET Account`. */
  fail(route: string, failure: InjectedFailure): void;
  /**
   * What Twilio does with a message to one of the numbers: POSTs the form to `url` (the number's webhook) signed with
   * X-Twilio-Signature and the auth token, with I-Twilio-Idempotency-Token.
   */
  deliverIncoming(
    url: string,
    params: Record<string, string>,
    options?: { authToken?: string },
  ): Promise<Response>;
  close(): Promise<void>;
};

/** Twilio's error body (https://www.twilio.com/docs/usage/twilios-response#response-formats-exceptions). */
export function twilioError(status: number, code: number, message: string) {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

const E164 = /^\+[1-9]\d{6,14}$/;

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

function formValues(body: unknown, name: string): string[] {
  if (typeof body !== 'object' || body === null) return [];
  const value = (body as Record<string, unknown>)[name];
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

const first = (body: unknown, name: string) => formValues(body, name)[0];

export async function startTwilioFake(): Promise<TwilioFake> {
  const accountSid = `AC${hex(16)}`;
  let authToken = hex(16);
  let apiKeySid = `SK${hex(16)}`;
  let apiKeySecret = hex(16);
  const numbers = ['+14155550199', '+14155550198'];
  const requests: RecordedRequest[] = [];
  const messages: FakeTwilioMessage[] = [];
  const calls: FakeTwilioCall[] = [];
  const failures = new FailureQueue();
  const app = Fastify({ logger: false });
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      const parsed: Record<string, string | string[]> = {};
      for (const [name, value] of new URLSearchParams(String(body))) {
        const existing = parsed[name];
        parsed[name] =
          existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
      }
      done(null, parsed);
    },
  );

  const authorized = (request: FastifyRequest): boolean => {
    const header = request.headers.authorization ?? '';
    const match = /^Basic (.+)$/.exec(header);
    if (!match?.[1]) return false;
    const pair = Buffer.from(match[1], 'base64').toString('utf8');
    return pair === `${accountSid}:${authToken}` || pair === `${apiKeySid}:${apiKeySecret}`;
  };

  /** Auth, the account in the path, then an injected failure; true when the request may go on. */
  const admit = (request: FastifyRequest, reply: FastifyReply, route: string): boolean => {
    requests.push(recordRequest(request));
    if (!authorized(request)) {
      reply
        .code(401)
        .header('www-authenticate', 'Basic realm="Twilio API"')
        .send(twilioError(401, 20003, 'Authenticate'));
      return false;
    }
    const sid = (request.params as { sid?: string }).sid;
    if (sid !== accountSid) {
      reply
        .code(404)
        .send(
          twilioError(404, 20404, `The requested resource /2010-04-01/Accounts/${sid}.json was not found`),
        );
      return false;
    }
    const failure = failures.take(route);
    if (failure) {
      sendFailure(reply, failure);
      return false;
    }
    return true;
  };

  app.get('/2010-04-01/Accounts/:file', async (request, reply) => {
    const file = (request.params as { file: string }).file;
    (request.params as { sid?: string }).sid = file.endsWith('.json')
      ? file.slice(0, -5)
      : `${file} (no .json)`;
    if (!admit(request, reply, 'GET Account')) return reply;
    return { sid: accountSid, friendly_name: 'My first Twilio account', status: 'active', type: 'Full' };
  });

  app.post('/2010-04-01/Accounts/:sid/Messages.json', async (request, reply) => {
    if (!admit(request, reply, 'POST Messages.json')) return reply;
    const body = request.body;
    const to = first(body, 'To');
    const from = first(body, 'From');
    const service = first(body, 'MessagingServiceSid');
    const text = first(body, 'Body') ?? '';
    const mediaUrls = formValues(body, 'MediaUrl');
    const contentSid = first(body, 'ContentSid') ?? null;
    if (!to) return reply.code(400).send(twilioError(400, 21604, "A 'To' phone number is required."));
    const channel = to.startsWith('whatsapp:') ? 'whatsapp:' : '';
    if (!E164.test(to.slice(channel.length)))
      return reply.code(400).send(twilioError(400, 21211, `Invalid 'To' Phone Number: ${to}`));
    if (!from && !service)
      return reply.code(400).send(twilioError(400, 21603, "A 'From' phone number is required."));
    if (from && !numbers.includes(from.replace(/^whatsapp:/, '')))
      return reply
        .code(400)
        .send(
          twilioError(
            400,
            21606,
            `The From phone number ${from} is not a valid, SMS-capable inbound phone number or short code for your account.`,
          ),
        );
    if (text === '' && mediaUrls.length === 0 && !contentSid)
      return reply.code(400).send(twilioError(400, 21602, 'Message body is required.'));
    const message: FakeTwilioMessage = {
      sid: `${mediaUrls.length > 0 ? 'MM' : 'SM'}${hex(16)}`,
      to,
      from: from ?? null,
      body: text,
      mediaUrls,
      messagingServiceSid: service ?? null,
      contentSid,
      contentVariables: first(body, 'ContentVariables') ?? null,
    };
    messages.push(message);
    const now = new Date().toUTCString();
    return reply.code(201).send({
      sid: message.sid,
      account_sid: accountSid,
      api_version: '2010-04-01',
      to,
      from: message.from,
      messaging_service_sid: message.messagingServiceSid,
      body: text,
      status: service && !from ? 'accepted' : 'queued',
      num_segments: String(Math.max(1, Math.ceil(text.length / 160))),
      num_media: String(mediaUrls.length),
      direction: 'outbound-api',
      date_created: now,
      date_updated: now,
      date_sent: null,
      price: null,
      price_unit: 'USD',
      error_code: null,
      error_message: null,
      uri: `/2010-04-01/Accounts/${accountSid}/Messages/${message.sid}.json`,
    });
  });

  app.post('/2010-04-01/Accounts/:sid/Calls.json', async (request, reply) => {
    if (!admit(request, reply, 'POST Calls.json')) return reply;
    const body = request.body;
    const to = first(body, 'To');
    const from = first(body, 'From');
    const twiml = first(body, 'Twiml') ?? null;
    const url = first(body, 'Url') ?? null;
    if (!to || !E164.test(to))
      return reply.code(400).send(twilioError(400, 21211, `Invalid 'To' Phone Number: ${to ?? ''}`));
    if (!from || !numbers.includes(from))
      return reply
        .code(400)
        .send(
          twilioError(
            400,
            21210,
            `The source phone number provided, ${from ?? ''}, is not yet verified for your account.`,
          ),
        );
    if (!twiml && !url) return reply.code(400).send(twilioError(400, 21205, 'Url parameter is required.'));
    const call: FakeTwilioCall = { sid: `CA${hex(16)}`, to, from, twiml, url };
    calls.push(call);
    return reply.code(201).send({
      sid: call.sid,
      account_sid: accountSid,
      to,
      from,
      status: 'queued',
      direction: 'outbound-api',
      date_created: new Date().toUTCString(),
      uri: `/2010-04-01/Accounts/${accountSid}/Calls/${call.sid}.json`,
    });
  });

  const url = `${await listenLocal(app)}/2010-04-01`;
  return {
    url,
    accountSid,
    get authToken() {
      return authToken;
    },
    get apiKeySid() {
      return apiKeySid;
    },
    get apiKeySecret() {
      return apiKeySecret;
    },
    numbers,
    requests,
    messages: () => [...messages],
    calls: () => [...calls],
    revoke() {
      authToken = hex(16);
      apiKeySid = `SK${hex(16)}`;
      apiKeySecret = hex(16);
    },
    fail: (route, failure) => failures.add(route, failure),
    deliverIncoming(target, params, options = {}) {
      const entries = Object.entries(params);
      const signature = signTwilioRequest(options.authToken ?? authToken, target, entries);
      return fetch(target, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': signature,
          'i-twilio-idempotency-token': randomUUID(),
          'user-agent': 'TwilioProxy/1.1',
        },
        body: new URLSearchParams(entries).toString(),
      });
    },
    close: () => app.close(),
  };
}
