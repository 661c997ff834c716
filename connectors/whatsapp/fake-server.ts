import { createHash, createHmac, randomBytes } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import {
  FailureQueue,
  type InjectedFailure,
  listenLocal,
  type RecordedRequest,
  recordRequest,
  sendFailure,
} from '../testing/fake-server.ts';

export type FakeWhatsappMessage = { id: string; to: string; type: string; body: Record<string, unknown> };
export type FakeWhatsappMedia = { id: string; type: string; name: string; size: number; sha256: string };

export type WhatsappFake = {
  /** Give as env.baseUrls.whatsapp (the /v21.0 root). */
  url: string;
  accessToken: string;
  phoneNumberId: string;
  displayPhoneNumber: string;
  /** The Meta app's secret, which signs webhook deliveries. */
  appSecret: string;
  /** A customer who wrote within 24 hours: free-form messages to them are allowed. */
  customer: string;
  requests: RecordedRequest[];
  sent(to?: string): FakeWhatsappMessage[];
  uploads(): FakeWhatsappMedia[];
  /** The token expires, as a temporary token does after 24 hours (code 190, subcode 463). */
  expire(): void;
  /** Route keys: `POST messages`, `POST media`, `GET number`. */
  fail(route: string, failure: InjectedFailure): void;
  /**
   * What Meta does with a customer's message: POSTs a `messages` notification to `url`, signed with
   * X-Hub-Signature-256 and the app secret (a wrong secret when `secret` is given).
   */
  deliver(url: string, text: string, options?: { secret?: string; from?: string }): Promise<Response>;
  /** Meta's check of a callback URL: GET with hub.mode, hub.verify_token and hub.challenge. */
  verifyCallback(
    url: string,
    verifyToken: string,
  ): Promise<{ status: number; body: string; challenge: string }>;
  close(): Promise<void>;
};

/** The Graph API's error body. */
export function graphError(
  message: string,
  code: number,
  extra: { subcode?: number; type?: string; details?: string } = {},
) {
  return {
    error: {
      message,
      type: extra.type ?? 'OAuthException',
      code,
      ...(extra.subcode === undefined ? {} : { error_subcode: extra.subcode }),
      ...(extra.details ? { error_data: { messaging_product: 'whatsapp', details: extra.details } } : {}),
      fbtrace_id: `A${randomBytes(8).toString('base64url')}`,
    },
  };
}

const TEMPLATES: Readonly<Record<string, { language: string; bodyParameters: number }>> = {
  order_shipped: { language: 'en_US', bodyParameters: 2 },
  hello_world: { language: 'en_US', bodyParameters: 0 },
};
const MEDIA_KINDS = new Set(['image', 'document', 'audio', 'video']);

function objectOf(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

export async function startWhatsappFake(): Promise<WhatsappFake> {
  const accessToken = `EAA${randomBytes(24).toString('hex')}`;
  let expired = false;
  const phoneNumberId = '106540352242922';
  const displayPhoneNumber = '15550783881';
  const appSecret = randomBytes(16).toString('hex');
  const customer = '14155550100';
  const requests: RecordedRequest[] = [];
  const messages: FakeWhatsappMessage[] = [];
  const media: FakeWhatsappMedia[] = [];
  const failures = new FailureQueue();
  const app = Fastify({ logger: false, bodyLimit: 20 * 1024 * 1024 });
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer' }, (request, body, done) => {
    new Response(new Uint8Array(body as Buffer), {
      headers: { 'content-type': String(request.headers['content-type']) },
    })
      .formData()
      .then(
        (form) => done(null, form),
        (error: Error) => done(error),
      );
  });

  const admit = (request: FastifyRequest, reply: FastifyReply, route: string): boolean => {
    const recorded = recordRequest(request);
    if (request.body instanceof FormData) {
      recorded.body = Object.fromEntries(
        [...request.body].map(([key, value]) => [
          key,
          typeof value === 'string' ? value : `<file ${value.name}>`,
        ]),
      );
    }
    requests.push(recorded);
    if (request.headers.authorization !== `Bearer ${accessToken}`) {
      reply.code(401).send(graphError('Invalid OAuth access token - Cannot parse access token', 190));
      return false;
    }
    if (expired) {
      reply
        .code(401)
        .send(
          graphError(
            'Error validating access token: Session has expired on Friday, 04-Dec-26 08:00:00 PST.',
            190,
            { subcode: 463 },
          ),
        );
      return false;
    }
    if ((request.params as { id?: string }).id !== phoneNumberId) {
      reply
        .code(400)
        .send(
          graphError(
            'Unsupported post request. Object with ID does not exist, cannot be loaded due to missing permissions, or does not support this operation.',
            100,
            { subcode: 33, type: 'GraphMethodException' },
          ),
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

  app.get('/v21.0/:id', async (request, reply) => {
    if (!admit(request, reply, 'GET number')) return reply;
    return {
      display_phone_number: displayPhoneNumber,
      verified_name: 'Acme Shop',
      id: phoneNumberId,
      quality_rating: 'GREEN',
    };
  });

  app.post('/v21.0/:id/media', async (request, reply) => {
    if (!admit(request, reply, 'POST media')) return reply;
    const form = request.body instanceof FormData ? request.body : undefined;
    const file = form?.get('file');
    if (form?.get('messaging_product') !== 'whatsapp' || !(file instanceof File)) {
      return reply.code(400).send(graphError('(#100) The parameter messaging_product is required.', 100));
    }
    const bytes = Buffer.from(await file.arrayBuffer());
    const item: FakeWhatsappMedia = {
      id: String(1_000_000_000_000 + media.length),
      type: String(form.get('type') ?? file.type),
      name: file.name,
      size: bytes.byteLength,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    };
    media.push(item);
    return { id: item.id };
  });

  app.post('/v21.0/:id/messages', async (request, reply) => {
    if (!admit(request, reply, 'POST messages')) return reply;
    const body = objectOf(request.body);
    const to = typeof body.to === 'string' ? body.to : '';
    const type = typeof body.type === 'string' ? body.type : '';
    if (body.messaging_product !== 'whatsapp')
      return reply.code(400).send(graphError('(#100) The parameter messaging_product is required.', 100));
    if (!/^\d{7,15}$/.test(to))
      return reply
        .code(400)
        .send(graphError('(#100) Invalid parameter', 100, { details: 'Invalid value for parameter to' }));
    if (type === 'text') {
      const text = objectOf(body.text);
      if (typeof text.body !== 'string' || text.body === '')
        return reply.code(400).send(graphError("(#100) The parameter text['body'] is required.", 100));
      if (to !== customer)
        return reply.code(400).send(
          graphError('(#131047) Re-engagement message', 131047, {
            details:
              'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
          }),
        );
    } else if (type === 'template') {
      const template = objectOf(body.template);
      const known = TEMPLATES[String(template.name)];
      const language = objectOf(template.language).code;
      if (!known || known.language !== language)
        return reply.code(404).send(
          graphError(`(#132001) Template name does not exist in the translation`, 132001, {
            details: `template name (${String(template.name)}) does not exist in ${String(language)}`,
          }),
        );
      const components = Array.isArray(template.components) ? template.components.map(objectOf) : [];
      const bodyParameters = components.find((component) => component.type === 'body')?.parameters;
      const count = Array.isArray(bodyParameters) ? bodyParameters.length : 0;
      if (count !== known.bodyParameters)
        return reply
          .code(400)
          .send(
            graphError('(#132000) Number of parameters does not match the expected number of params', 132000),
          );
    } else if (MEDIA_KINDS.has(type)) {
      const item = objectOf(body[type]);
      const id = typeof item.id === 'string' ? item.id : undefined;
      if (id !== undefined && !media.some((entry) => entry.id === id))
        return reply
          .code(400)
          .send(graphError('(#131053) Media upload error', 131053, { details: 'Unknown media id' }));
      if (id === undefined && typeof item.link !== 'string')
        return reply
          .code(400)
          .send(graphError(`(#100) The parameter ${type}['id'] or ${type}['link'] is required.`, 100));
    } else {
      return reply
        .code(400)
        .send(graphError('(#100) Param type must be one of {TEXT, TEMPLATE, IMAGE, …}', 100));
    }
    const message = { id: `wamid.${randomBytes(24).toString('base64url')}`, to, type, body };
    messages.push(message);
    return {
      messaging_product: 'whatsapp',
      contacts: [{ input: to, wa_id: to }],
      messages: [{ id: message.id, ...(type === 'template' ? { message_status: 'accepted' } : {}) }],
    };
  });

  const url = `${await listenLocal(app)}/v21.0`;
  let sequence = 0;
  return {
    url,
    get accessToken() {
      return accessToken;
    },
    phoneNumberId,
    displayPhoneNumber,
    appSecret,
    customer,
    requests,
    sent: (to) => messages.filter((message) => to === undefined || message.to === to),
    uploads: () => [...media],
    expire() {
      expired = true;
    },
    fail: (route, failure) => failures.add(route, failure),
    deliver(target, text, options = {}) {
      sequence += 1;
      const from = options.from ?? customer;
      const payload = {
        object: 'whatsapp_business_account',
        entry: [
          {
            id: '102290129340398',
            changes: [
              {
                field: 'messages',
                value: {
                  messaging_product: 'whatsapp',
                  metadata: { display_phone_number: displayPhoneNumber, phone_number_id: phoneNumberId },
                  contacts: [{ profile: { name: 'Ana' }, wa_id: from }],
                  messages: [
                    {
                      from,
                      id: `wamid.in${sequence}${randomBytes(8).toString('hex')}`,
                      timestamp: String(Math.floor(Date.now() / 1000)),
                      type: 'text',
                      text: { body: text },
                    },
                  ],
                },
              },
            ],
          },
        ],
      };
      const raw = JSON.stringify(payload);
      const signature = createHmac('sha256', options.secret ?? appSecret)
        .update(raw)
        .digest('hex');
      return fetch(target, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': `sha256=${signature}`,
          'user-agent': 'facebookexternalua',
        },
        body: raw,
      });
    },
    async verifyCallback(target, verifyToken) {
      const challenge = String(Math.floor(Math.random() * 1e9));
      const address = new URL(target);
      address.searchParams.set('hub.mode', 'subscribe');
      address.searchParams.set('hub.verify_token', verifyToken);
      address.searchParams.set('hub.challenge', challenge);
      const response = await fetch(address);
      return { status: response.status, body: await response.text(), challenge };
    },
    close: () => app.close(),
  };
}
