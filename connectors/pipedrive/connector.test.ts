import { readFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.ts';
import type { WebhookDelivery, WebhookTriggerDefinition } from '../sdk/define.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { pipedriveBaseUrl } from './client.ts';
import { pipedriveConnector } from './connector.ts';
import { PIPEDRIVE_RATE_LIMITED, type PipedriveFake, startPipedriveFake } from './fake-server.ts';

let fake: PipedriveFake;
let env: ReturnType<typeof createTestEnvironment>;
let receiver: Server;
let hookUrl = '';
const received: WebhookDelivery[] = [];
const credential = () => ({ apiToken: fake.apiToken, companyDomain: fake.companyDomain });
type Options = { credential?: unknown; credentialType?: string };

beforeAll(async () => {
  fake = await startPipedriveFake();
  env = createTestEnvironment({ pipedrive: fake.url });
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const rawBody = Buffer.concat(chunks);
      const headers: IncomingHttpHeaders = request.headers;
      received.push({ headers, rawBody, body: JSON.parse(rawBody.toString()) });
      response.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/wf_1`;
});
afterAll(async () => {
  await fake.close();
  await new Promise((resolve) => receiver.close(resolve));
});

const run = (key: string, input: unknown, options: Options = {}) =>
  runAction(pipedriveConnector, key, input, { env, credential: credential(), ...options });
const runError = (key: string, input: unknown, options: Options = {}) =>
  runActionError(pipedriveConnector, key, input, { env, credential: credential(), ...options });
const trigger = () => pipedriveConnector.triggers[0] as WebhookTriggerDefinition;
const subscriptionContext = () => ({
  credential: credential(),
  client: pipedriveConnector.createClient({ credential: credential(), env }),
  logger: createLogger({ level: 'silent' }),
  signal: new AbortController().signal,
  env,
});

describe('pipedrive connector against the Pipedrive API fake', () => {
  it('creates a person, a deal for them and an activity, updates each, with api_token in the query', async () => {
    const person = (await run('createPerson', {
      name: 'Ana Lima',
      emails: ['ana@example.com', 'ana.lima@example.org'],
      phones: ['+351 21 000 0000'],
    })) as { id: number; emails: string[] };
    expect(person.emails).toEqual(['ana@example.com', 'ana.lima@example.org']);
    const sent = fake.requests.at(-1);
    expect(sent).toMatchObject({
      method: 'POST',
      path: '/api/v2/persons',
      query: { api_token: fake.apiToken },
    });
    expect(sent?.body).toEqual({
      name: 'Ana Lima',
      emails: [
        { value: 'ana@example.com', primary: true, label: 'work' },
        { value: 'ana.lima@example.org', primary: false, label: 'work' },
      ],
      phones: [{ value: '+351 21 000 0000', primary: true, label: 'work' }],
    });

    const deal = (await run('createDeal', {
      title: 'Acme Corp – 50 seats',
      value: 12000,
      currency: 'EUR',
      personId: person.id,
      stageId: 2,
    })) as { id: number; stageId: number; pipelineId: number; personId: number };
    expect(deal).toMatchObject({ stageId: 2, pipelineId: 1, personId: person.id, status: 'open' });
    expect(fake.requests.at(-1)?.body).toEqual({
      title: 'Acme Corp – 50 seats',
      value: 12000,
      currency: 'EUR',
      person_id: person.id,
      stage_id: 2,
    });
    expect(await run('updateDeal', { dealId: deal.id, status: 'won' })).toMatchObject({ status: 'won' });
    expect(fake.requests.at(-1)).toMatchObject({
      method: 'PATCH',
      path: `/api/v2/deals/${deal.id}`,
      body: { status: 'won' },
    });
    expect(await run('updatePerson', { personId: person.id, name: 'Ana M. Lima' })).toMatchObject({
      name: 'Ana M. Lima',
    });

    const activity = (await run('createActivity', {
      subject: 'Demo call with Ana',
      type: 'call',
      dueDate: '2026-12-10',
      dueTime: '14:30',
      dealId: deal.id,
      personId: person.id,
    })) as { id: number; personId: number };
    expect(activity.personId).toBe(person.id);
    expect(fake.requests.at(-1)?.body).toEqual({
      subject: 'Demo call with Ana',
      type: 'call',
      due_date: '2026-12-10',
      due_time: '14:30',
      deal_id: deal.id,
      participants: [{ person_id: person.id, primary: true }],
    });
    expect(await run('updateActivity', { activityId: activity.id, done: true })).toMatchObject({
      done: true,
    });
  });

  it('maps Pipedrive errors: an unknown stage is E_REQUEST with the vendor message, a missing deal E_NOT_FOUND', async () => {
    const error = await runError('createDeal', { title: 'x', stageId: 99 });
    expect(error).toMatchObject({
      code: 'E_REQUEST',
      status: 400,
      details: { vendorCode: 'ERR_SCHEMA_VALIDATION_FAILED' },
    });
    expect((error as Error).message).toContain('Stage not found');
    expect(await runError('updateDeal', { dealId: 999_999, title: 'y' })).toMatchObject({
      code: 'E_NOT_FOUND',
    });
    expect(await runError('createActivity', { subject: 'x', dueTime: '25:00' })).toMatchObject({
      code: 'E_PARAMS',
    });
  });

  it('a 429 is retryable after x-ratelimit-reset', async () => {
    fake.fail('POST /v2/deals', PIPEDRIVE_RATE_LIMITED);
    expect(await runError('createDeal', { title: 'later' })).toMatchObject({
      code: 'E_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 2000,
    });
  });

  it('goes to the company domain, or api.pipedrive.com for oauth2 (bearer)', async () => {
    expect(pipedriveBaseUrl({ apiToken: 'x'.repeat(40), companyDomain: 'acme' })).toBe(
      'https://acme.pipedrive.com/api',
    );
    expect(pipedriveBaseUrl({ apiToken: 'x'.repeat(40) })).toBe('https://api.pipedrive.com/api');
    const accessToken = 'v1u:AQIBAHj-oauth-access-token-0123456789';
    fake.allowBearer(accessToken);
    const oauth = {
      authorizeUrl: 'https://oauth.pipedrive.com/oauth/authorize',
      tokenUrl: 'https://oauth.pipedrive.com/oauth/token',
      clientId: 'client-1',
      clientSecret: 'client-secret-1',
      provider: 'pipedrive',
      accessToken,
    };
    await run('createPerson', { name: 'Bo' }, { credential: oauth, credentialType: 'oauth2' });
    const sent = fake.requests.at(-1);
    expect(sent?.headers.authorization).toBe(`Bearer ${accessToken}`);
    expect(sent?.query).not.toHaveProperty('api_token');
  });

  it('dealCreated registers a webhook v2 with Basic-auth credentials, replaces its own on retry, and deletes it', async () => {
    const ctx = subscriptionContext();
    const subscription = trigger().subscription;
    if (!subscription) throw new Error('dealCreated registers itself');
    const first = await subscription.create(
      ctx,
      {},
      { url: hookUrl, secret: 'first-secret-0123456789abcdef' },
    );
    // A retried create (the first answer lost) leaves one hook, with the new secret.
    const second = await subscription.create(
      ctx,
      {},
      { url: hookUrl, secret: 'second-secret-0123456789abcdef' },
    );
    expect(fake.webhooks()).toHaveLength(1);
    expect(fake.webhooks()[0]).toMatchObject({
      id: Number(second.id),
      subscription_url: hookUrl,
      event_action: 'create',
      event_object: 'deal',
      version: '2.0',
      http_auth_user: 'vmesh',
      http_auth_password: 'second-secret-0123456789abcdef',
    });
    expect(second.id).not.toBe(first.id);

    const { deal, deliveries } = await fake.addDealInApp({
      title: 'From the app',
      pipeline_id: 1,
      stage_id: 1,
    });
    expect(deliveries).toEqual([{ url: hookUrl, status: 200, body: 'ok' }]);
    const delivery = received.at(-1);
    if (!delivery) throw new Error('no delivery');
    expect(trigger().verify(delivery, 'second-secret-0123456789abcdef')).toBe(true);
    expect(trigger().verify(delivery, 'first-secret-0123456789abcdef')).toBe(false);
    expect(trigger().verify({ ...delivery, headers: {} }, 'second-secret-0123456789abcdef')).toBe(false);
    const data = trigger().parse(delivery);
    expect(data).toMatchObject({
      deal: { id: deal.id, title: 'From the app', pipelineId: 1 },
      userId: 12345,
      companyId: 987654,
    });
    expect(trigger().deliveryId?.(delivery)).toMatch(/^[0-9a-f-]{36}$/);
    expect(trigger().matches?.(trigger().with.parse({ pipelineId: 1 }), data)).toBe(true);
    expect(trigger().matches?.(trigger().with.parse({ pipelineId: 2 }), data)).toBe(false);
    // Other events start nothing.
    expect(
      trigger().parse({ ...delivery, body: { data: {}, meta: { action: 'change', entity: 'deal' } } }),
    ).toBeUndefined();

    await subscription.delete(ctx, {}, second);
    expect(fake.webhooks()).toEqual([]);
    // Deleting a hook already gone succeeds.
    await subscription.delete(ctx, {}, second);
    expect(
      fake.requests.filter((request) => request.method === 'DELETE').map((request) => request.path),
    ).toEqual([
      `/api/v1/webhooks/${first.id}`,
      `/api/v1/webhooks/${second.id}`,
      `/api/v1/webhooks/${second.id}`,
    ]);
  });

  it('a revoked token is E_AUTH with how to store a new one, and testCredential says so too', async () => {
    const stale = credential();
    const check = (token: typeof stale) =>
      pipedriveConnector.testCredential?.({
        credential: token,
        client: pipedriveConnector.createClient({ credential: token, env }),
        signal: new AbortController().signal,
      });
    expect(await check(stale)).toContain('acme.pipedrive.com');
    fake.revoke();
    const error = await runError('createDeal', { title: 'x' }, { credential: stale });
    expect(error).toMatchObject({ code: 'E_AUTH', retryable: false });
    expect((error as { hint: string }).hint).toContain('--type pipedrive');
    await expect(check(stale)).rejects.toMatchObject({ code: 'E_AUTH' });
  });

  it('documents every action and trigger', async () => {
    const doc = await readFile(pipedriveConnector.docPath, 'utf8');
    expect(docSections(doc)).toEqual([
      ...pipedriveConnector.actions.map((action) => action.key),
      ...pipedriveConnector.triggers.map((item) => `trigger:${item.key}`),
    ]);
  });
});
