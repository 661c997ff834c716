import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  FailureQueue,
  type InjectedFailure,
  listenLocal,
  type RecordedRequest,
  recordRequest,
  sendFailure,
} from '../testing/fake-server.ts';

export type FakeTypeformResponse = {
  landing_id: string;
  token: string;
  response_id: string;
  landed_at: string;
  submitted_at: string;
  hidden: Record<string, string>;
  calculated: { score: number };
  answers: unknown[];
};

export type FakeTypeformWebhook = {
  id: string;
  form_id: string;
  tag: string;
  url: string;
  enabled: boolean;
  verify_ssl: boolean;
  secret: string | undefined;
  event_types: Record<string, boolean>;
  created_at: string;
  updated_at: string;
};

export type TypeformFake = {
  /** Give as env.baseUrls.typeform. */
  url: string;
  token: string;
  formId: string;
  requests: RecordedRequest[];
  /** Adds completed responses to the form, submitted one minute apart ending now (newest last). */
  seed(count: number): FakeTypeformResponse[];
  webhooks(formId?: string): FakeTypeformWebhook[];
  /** What Typeform does on a submission: POSTs form_response to each enabled webhook of the form, signed with its secret. */
  submit(answers: { ref: string; text: string }[], hidden?: Record<string, string>): Promise<Response[]>;
  revoke(): void;
  /** Route keys: `GET /forms/:id/responses`, `PUT /forms/:id/webhooks/:tag`, `DELETE /forms/:id/webhooks/:tag`. */
  fail(route: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

/** Typeform's error body. */
export function typeformError(code: string, description: string, details?: unknown[]) {
  return { code, description, ...(details ? { details } : {}) };
}

const ResponsesQuery = z.object({
  page_size: z.coerce.number().int().min(1).max(1000).default(25),
  since: z.string().optional(),
  until: z.string().optional(),
  before: z.string().optional(),
  after: z.string().optional(),
  completed: z.enum(['true', 'false']).optional(),
  query: z.string().optional(),
  sort: z.string().optional(),
});

const WebhookBody = z.object({
  url: z.url(),
  enabled: z.boolean().optional(),
  secret: z.string().optional(),
  verify_ssl: z.boolean().optional(),
  event_types: z.record(z.string(), z.boolean()).optional(),
});

const token = () => randomBytes(16).toString('hex');

export async function startTypeformFake(): Promise<TypeformFake> {
  let accessToken = `tfp_${randomBytes(20).toString('hex')}`;
  const formId = 'lT4Z3j';
  const requests: RecordedRequest[] = [];
  const responses = new Map<string, FakeTypeformResponse[]>([[formId, []]]);
  const hooks: FakeTypeformWebhook[] = [];
  const failures = new FailureQueue();
  const app = Fastify({ logger: false });

  const admit = (request: FastifyRequest, reply: FastifyReply, route: string): boolean => {
    requests.push(recordRequest(request));
    if (request.headers.authorization !== `Bearer ${accessToken}`) {
      reply
        .code(401)
        .send(
          typeformError(
            'AUTHENTICATION_FAILED',
            'Authentication credentials not found on the Request Headers',
          ),
        );
      return false;
    }
    const failure = failures.take(route);
    if (failure) {
      sendFailure(reply, failure);
      return false;
    }
    const form = (request.params as { formId?: string }).formId;
    if (form !== undefined && !responses.has(form)) {
      reply.code(404).send(typeformError('FORM_NOT_FOUND', `Non existing form with uid ${form}`));
      return false;
    }
    return true;
  };

  app.get('/me', async (request, reply) => {
    if (!admit(request, reply, 'GET /me')) return reply;
    return { alias: 'Ana', email: 'ana@example.com', language: 'en' };
  });

  app.get('/forms/:formId/responses', async (request, reply) => {
    if (!admit(request, reply, 'GET /forms/:id/responses')) return reply;
    const query = ResponsesQuery.safeParse(request.query);
    if (!query.success) {
      return reply
        .code(400)
        .send(
          typeformError('VALIDATION_ERROR', 'The request contains invalid parameters', [
            { code: 'invalid', description: 'must be between 1 and 1000', field: 'page_size', in: 'query' },
          ]),
        );
    }
    const { page_size: size, since, until, before, completed, query: text } = query.data;
    // Newest first, as sort=submitted_at,desc.
    let list = [...(responses.get((request.params as { formId: string }).formId) ?? [])].reverse();
    if (completed === 'false') list = [];
    if (since) list = list.filter((item) => item.submitted_at >= new Date(since).toISOString());
    if (until) list = list.filter((item) => item.submitted_at <= new Date(until).toISOString());
    if (text) list = list.filter((item) => JSON.stringify([item.answers, item.hidden]).includes(text));
    if (before) {
      const index = list.findIndex((item) => item.token === before);
      list = index < 0 ? [] : list.slice(index + 1);
    }
    return {
      total_items: list.length,
      page_count: Math.max(1, Math.ceil(list.length / size)),
      items: list.slice(0, size),
    };
  });

  const view = (hook: FakeTypeformWebhook) => {
    const { secret: _secret, ...shown } = hook;
    return shown;
  };

  app.get('/forms/:formId/webhooks', async (request, reply) => {
    if (!admit(request, reply, 'GET /forms/:id/webhooks')) return reply;
    const form = (request.params as { formId: string }).formId;
    return { items: hooks.filter((hook) => hook.form_id === form).map(view) };
  });

  app.put('/forms/:formId/webhooks/:tag', async (request, reply) => {
    if (!admit(request, reply, 'PUT /forms/:id/webhooks/:tag')) return reply;
    const { formId: form, tag } = request.params as { formId: string; tag: string };
    const body = WebhookBody.safeParse(request.body);
    if (!body.success) {
      return reply
        .code(400)
        .send(
          typeformError('VALIDATION_ERROR', 'The request contains invalid parameters', [{ field: 'url' }]),
        );
    }
    const now = new Date().toISOString();
    const existing = hooks.find((hook) => hook.form_id === form && hook.tag === tag);
    const fields = {
      url: body.data.url,
      enabled: body.data.enabled ?? false,
      verify_ssl: body.data.verify_ssl ?? false,
      secret: body.data.secret,
      event_types: body.data.event_types ?? { form_response: true },
      updated_at: now,
    };
    if (existing) {
      Object.assign(existing, fields);
      return reply.code(200).send(view(existing));
    }
    const hook: FakeTypeformWebhook = {
      id: token().slice(0, 10),
      form_id: form,
      tag,
      created_at: now,
      ...fields,
    };
    hooks.push(hook);
    return reply.code(201).send(view(hook));
  });

  app.delete('/forms/:formId/webhooks/:tag', async (request, reply) => {
    if (!admit(request, reply, 'DELETE /forms/:id/webhooks/:tag')) return reply;
    const { formId: form, tag } = request.params as { formId: string; tag: string };
    const index = hooks.findIndex((hook) => hook.form_id === form && hook.tag === tag);
    if (index < 0) return reply.code(404).send(typeformError('NOT_FOUND', 'Webhook not found'));
    hooks.splice(index, 1);
    return reply.code(204).send();
  });

  const url = await listenLocal(app);
  const answer = (ref: string, text: string, index: number) => ({
    field: { id: `field${index}`, type: ref === 'email' ? 'email' : 'short_text', ref },
    type: ref === 'email' ? 'email' : 'text',
    ...(ref === 'email' ? { email: text } : { text }),
  });
  return {
    url,
    get token() {
      return accessToken;
    },
    formId,
    requests,
    seed(count) {
      const list = responses.get(formId) ?? [];
      const now = Date.now();
      const added = Array.from({ length: count }, (_, index) => {
        const at = new Date(now - (count - index) * 60_000);
        const id = token();
        return {
          landing_id: id,
          token: id,
          response_id: id,
          landed_at: new Date(at.getTime() - 30_000).toISOString(),
          submitted_at: at.toISOString(),
          hidden: { source: index % 2 === 0 ? 'newsletter' : 'ads' },
          calculated: { score: index },
          answers: [
            answer('name', `Person ${list.length + index}`, 0),
            answer('email', `p${list.length + index}@example.com`, 1),
          ],
        };
      });
      list.push(...added);
      return added;
    },
    webhooks: (form) => hooks.filter((hook) => form === undefined || hook.form_id === form),
    async submit(answers, hidden = {}) {
      const id = token();
      const now = new Date().toISOString();
      const payload = {
        event_id: randomUUID().replaceAll('-', '').toUpperCase().slice(0, 26),
        event_type: 'form_response',
        form_response: {
          form_id: formId,
          token: id,
          landed_at: now,
          submitted_at: now,
          hidden,
          definition: {
            id: formId,
            title: 'Event signup',
            fields: answers.map((item, index) => ({
              id: `field${index}`,
              ref: item.ref,
              type: 'short_text',
              title: `Your ${item.ref}?`,
            })),
          },
          answers: answers.map((item, index) => answer(item.ref, item.text, index)),
        },
      };
      const raw = JSON.stringify(payload);
      return Promise.all(
        hooks
          .filter((hook) => hook.form_id === formId && hook.enabled)
          .map((hook) =>
            fetch(hook.url, {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                'user-agent': 'Typeform Webhooks',
                ...(hook.secret
                  ? {
                      'typeform-signature': `sha256=${createHmac('sha256', hook.secret).update(raw).digest('base64')}`,
                    }
                  : {}),
              },
              body: raw,
            }),
          ),
      );
    },
    revoke() {
      accessToken = `tfp_${randomBytes(20).toString('hex')}`;
    },
    fail: (route, failure) => failures.add(route, failure),
    close: () => app.close(),
  };
}
