import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { typeformConnector } from './connector.ts';
import { startTypeformFake, type TypeformFake, typeformError } from './fake-server.ts';
import { parseTypeformDelivery, responseSubmitted, webhookTagOf } from './triggers/response-submitted.ts';

let fake: TypeformFake;
let env: ReturnType<typeof createTestEnvironment>;
const credential = () => ({ token: fake.token });

beforeAll(async () => {
  fake = await startTypeformFake();
  env = createTestEnvironment({ typeform: fake.url });
});
afterAll(async () => {
  await fake.close();
});

const run = (key: string, input: unknown, options: { credential?: unknown } = {}) =>
  runAction(typeformConnector, key, input, { env, credential: credential(), ...options });
const runError = (key: string, input: unknown, options: { credential?: unknown } = {}) =>
  runActionError(typeformConnector, key, input, { env, credential: credential(), ...options });

type Listed = { responses: { responseId: string; values: Record<string, unknown> }[]; truncated: boolean };

describe('typeform connector against the Responses and Webhooks API fake', () => {
  it('lists responses newest first, paging with the before token', async () => {
    const seeded = fake.seed(450);
    const listed = (await run('listResponses', { formId: fake.formId, limit: 420 })) as Listed;
    expect(listed.responses).toHaveLength(420);
    expect(listed.truncated).toBe(true);
    expect(listed.responses[0]?.responseId).toBe(seeded.at(-1)?.token);
    expect(listed.responses[0]?.values).toEqual({ name: 'Person 449', email: 'p449@example.com' });
    const pages = fake.requests.filter((request) => request.path === `/forms/${fake.formId}/responses`);
    expect(pages.map((page) => page.query.before)).toEqual([
      undefined,
      seeded.at(-200)?.token,
      seeded.at(-400)?.token,
    ]);
    expect(pages[0]?.query).toMatchObject({ page_size: '200', completed: 'true', sort: 'submitted_at,desc' });
    expect(pages[0]?.headers.authorization).toBe(`Bearer ${fake.token}`);
  });

  it('filters by since and stops at the last page', async () => {
    const since = new Date(Date.now() - 10.5 * 60_000).toISOString();
    const listed = (await run('listResponses', { formId: fake.formId, since })) as Listed;
    expect(listed.responses).toHaveLength(10);
    expect(listed.truncated).toBe(false);
    expect(fake.requests.at(-1)?.query.since).toBe(since);
  });

  it('maps FORM_NOT_FOUND and a validation error with hints', async () => {
    const missing = await runError('listResponses', { formId: 'nope1234' });
    expect(missing).toMatchObject({ code: 'E_NOT_FOUND', status: 404 });
    expect((missing as Error).message).toContain('Non existing form');
    expect((missing as { hint: string }).hint).toContain('/to/');
    fake.fail('GET /forms/:id/responses', {
      status: 400,
      body: typeformError('VALIDATION_ERROR', 'The request contains invalid parameters', [
        { code: 'invalid', field: 'since', description: 'must be a date' },
      ]),
    });
    const invalid = await runError('listResponses', { formId: fake.formId });
    expect(invalid).toMatchObject({ code: 'E_REQUEST', details: { vendorCode: 'VALIDATION_ERROR' } });
    expect((invalid as Error).message).toContain('since must be a date');
  });

  it('a 429 with Retry-After is retryable after the wait', async () => {
    fake.fail('GET /forms/:id/responses', {
      status: 429,
      headers: { 'retry-after': '2' },
      body: typeformError('RATE_LIMIT_EXCEEDED', 'Too many requests'),
    });
    expect(await runError('listResponses', { formId: fake.formId })).toMatchObject({
      code: 'E_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 2000,
    });
  });

  it('registers and removes the form webhook with the hook URL and secret', async () => {
    if (responseSubmitted.kind !== 'webhook' || !responseSubmitted.subscription)
      throw new Error('subscription');
    const client = typeformConnector.createClient({ credential: credential(), env });
    const ctx = {
      credential: credential(),
      client,
      logger: createLogger({ level: 'silent' }),
      signal: AbortSignal.timeout(5000),
      env,
    };
    const filters = responseSubmitted.with.parse({ formId: fake.formId });
    const hookUrl = 'https://vmesh.example.com/hooks/wf_form';
    const created = await responseSubmitted.subscription.create(ctx, filters, {
      url: hookUrl,
      secret: 'first-secret',
    });
    expect(created).toEqual({ id: webhookTagOf(hookUrl) });
    // A retried create updates the same webhook with the new secret instead of adding a second one.
    await responseSubmitted.subscription.create(ctx, filters, { url: hookUrl, secret: 'second-secret' });
    expect(fake.webhooks(fake.formId)).toEqual([
      expect.objectContaining({
        url: hookUrl,
        secret: 'second-secret',
        enabled: true,
        verify_ssl: true,
        tag: created.id,
      }),
    ]);
    expect(fake.requests.at(-1)).toMatchObject({
      method: 'PUT',
      path: `/forms/${fake.formId}/webhooks/${created.id}`,
    });
    await responseSubmitted.subscription.delete(ctx, filters, created);
    expect(fake.webhooks(fake.formId)).toEqual([]);
    // Deleting one already gone succeeds.
    await responseSubmitted.subscription.delete(ctx, filters, created);
  });

  it('verifies Typeform-Signature over the raw body, parses and filters a delivery', () => {
    if (responseSubmitted.kind !== 'webhook') throw new Error('webhook');
    const body = {
      event_id: '01HZX3Q7T9Y8V0ZK3Q6GQ2N5AB',
      event_type: 'form_response',
      form_response: {
        form_id: fake.formId,
        token: 'a3a12ec67a1365927098a606107fac15',
        submitted_at: '2026-12-04T09:30:00Z',
        landed_at: '2026-12-04T09:28:51Z',
        hidden: { source: 'newsletter' },
        definition: { title: 'Event signup', fields: [{ id: 'f1', title: 'Your email?' }] },
        answers: [
          { field: { id: 'f1', type: 'email', ref: 'email' }, type: 'email', email: 'ana@example.com' },
          {
            field: { id: 'f2', type: 'multiple_choice', ref: 'days' },
            type: 'choices',
            choices: { labels: ['Mon', 'Tue'] },
          },
        ],
      },
    };
    const rawBody = Buffer.from(JSON.stringify(body));
    const signature = `sha256=${createHmac('sha256', 'hook-secret').update(rawBody).digest('base64')}`;
    const delivery = (header: string, raw = rawBody) => ({
      headers: { 'typeform-signature': header },
      rawBody: raw,
      body,
    });
    expect(responseSubmitted.verify(delivery(signature), 'hook-secret')).toBe(true);
    expect(responseSubmitted.verify(delivery(signature), 'other-secret')).toBe(false);
    expect(responseSubmitted.verify(delivery(signature, Buffer.from(`${rawBody} `)), 'hook-secret')).toBe(
      false,
    );
    expect(responseSubmitted.verify(delivery(signature.replace('sha256=', '')), 'hook-secret')).toBe(false);
    const data = parseTypeformDelivery(body);
    expect(data).toMatchObject({
      formTitle: 'Event signup',
      responseId: 'a3a12ec67a1365927098a606107fac15',
      values: { email: 'ana@example.com', days: ['Mon', 'Tue'] },
      answers: [{ title: 'Your email?', value: 'ana@example.com' }, { title: null }],
    });
    expect(responseSubmitted.deliveryId?.(delivery(signature))).toBe('typeform:01HZX3Q7T9Y8V0ZK3Q6GQ2N5AB');
    const filters = (value: unknown) => responseSubmitted.with.parse(value);
    expect(
      responseSubmitted.matches?.(filters({ formId: fake.formId, hidden: { source: 'newsletter' } }), data),
    ).toBe(true);
    expect(
      responseSubmitted.matches?.(filters({ formId: fake.formId, hidden: { source: 'ads' } }), data),
    ).toBe(false);
    expect(responseSubmitted.matches?.(filters({ formId: 'other1' }), data)).toBe(false);
    expect(parseTypeformDelivery({ ...body, event_type: 'form_response_partial' })).toBeUndefined();
  });

  it('tests the token; a revoked one is E_AUTH with what to do', async () => {
    const client = typeformConnector.createClient({ credential: credential(), env });
    expect(
      await typeformConnector.testCredential?.({
        credential: credential(),
        client,
        signal: AbortSignal.timeout(5000),
      }),
    ).toContain('Ana');
    const stale = credential();
    fake.revoke();
    const error = await runError('listResponses', { formId: fake.formId }, { credential: stale });
    expect(error).toMatchObject({ code: 'E_AUTH', status: 401 });
    expect((error as { hint: string }).hint).toContain('--type typeform');
    expect(JSON.stringify({ message: (error as Error).message })).not.toContain(stale.token);
  });

  it('documents every action and the trigger', async () => {
    const doc = await readFile(typeformConnector.docPath, 'utf8');
    expect(docSections(doc)).toEqual([
      ...typeformConnector.actions.map((action) => action.key),
      ...typeformConnector.triggers.map((trigger) => `trigger:${trigger.key}`),
    ]);
  });
});
