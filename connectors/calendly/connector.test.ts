import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { calendlyConnector } from './connector.ts';
import { type CalendlyFake, calendlyError, startCalendlyFake } from './fake-server.ts';
import {
  inviteeCreated,
  parseCalendlyDelivery,
  verifyCalendlySignature,
} from './triggers/invitee-created.ts';

let fake: CalendlyFake;
let env: ReturnType<typeof createTestEnvironment>;
const credential = () => ({ token: fake.token });

beforeAll(async () => {
  fake = await startCalendlyFake();
  env = createTestEnvironment({ calendly: fake.url });
});
afterAll(async () => {
  await fake.close();
});

const run = (key: string, input: unknown, options: { credential?: unknown } = {}) =>
  runAction(calendlyConnector, key, input, { env, credential: credential(), ...options });
const runError = (key: string, input: unknown, options: { credential?: unknown } = {}) =>
  runActionError(calendlyConnector, key, input, { env, credential: credential(), ...options });

type Listed = {
  events: { uri: string; startTime: string; location: string | null; hosts: string[] }[];
  truncated: boolean;
};

describe('calendly connector against the API v2 fake', () => {
  it('lists the token user’s meetings, finding the user via /users/me and paging with page_token', async () => {
    const seeded = fake.seed(230);
    const listed = (await run('listScheduledEvents', { limit: 220, status: 'active' })) as Listed;
    expect(listed.events).toHaveLength(220);
    expect(listed.truncated).toBe(true);
    expect(listed.events[0]).toMatchObject({
      uri: seeded[0]?.uri,
      location: 'https://meet.example.com/0',
      hosts: ['ana@example.com'],
    });
    const pages = fake.requests.filter((request) => request.path === '/scheduled_events');
    expect(pages).toHaveLength(3);
    expect(pages[0]?.query).toMatchObject({
      user: fake.userUri,
      status: 'active',
      count: '100',
      sort: 'start_time:asc',
    });
    expect(pages[0]?.query.page_token).toBeUndefined();
    expect(pages[1]?.query.page_token).toEqual(expect.any(String));
    expect(pages[0]?.headers.authorization).toBe(`Bearer ${fake.token}`);
  });

  it('lists an organization’s meetings in a time window', async () => {
    const from = new Date(Date.now() + 24 * 3600_000 + 10.5 * 3600_000).toISOString();
    const to = new Date(Date.now() + 24 * 3600_000 + 15.5 * 3600_000).toISOString();
    const listed = (await run('listScheduledEvents', {
      scope: 'organization',
      minStartTime: from,
      maxStartTime: to,
    })) as Listed;
    expect(listed.events).toHaveLength(5);
    expect(fake.requests.at(-1)?.query).toMatchObject({
      organization: fake.organizationUri,
      min_start_time: from,
      max_start_time: to,
    });
  });

  it('maps Calendly’s error body and a 429 with Retry-After', async () => {
    fake.fail('GET /scheduled_events', {
      status: 400,
      body: calendlyError('Invalid Argument', 'The supplied parameters are invalid.', [
        { parameter: 'min_start_time', message: 'is not a valid time' },
      ]),
    });
    const invalid = await runError('listScheduledEvents', {});
    expect(invalid).toMatchObject({ code: 'E_REQUEST', details: { vendorCode: 'Invalid Argument' } });
    expect((invalid as Error).message).toContain('min_start_time: is not a valid time');
    expect((invalid as { hint: string }).hint).toContain('ISO');
    fake.fail('GET /scheduled_events', {
      status: 429,
      headers: { 'retry-after': '7' },
      body: calendlyError('Too Many Requests', 'You have exceeded the rate limit.'),
    });
    expect(await runError('listScheduledEvents', {})).toMatchObject({
      code: 'E_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 7000,
    });
  });

  it('creates the webhook subscription with the signing key, replaces a stale one, deletes it', async () => {
    if (inviteeCreated.kind !== 'webhook' || !inviteeCreated.subscription) throw new Error('subscription');
    const client = calendlyConnector.createClient({ credential: credential(), env });
    const ctx = {
      credential: credential(),
      client,
      logger: createLogger({ level: 'silent' }),
      signal: AbortSignal.timeout(5000),
      env,
    };
    const filters = inviteeCreated.with.parse({});
    const hookUrl = 'https://vmesh.example.com/hooks/wf_booked';
    const first = await inviteeCreated.subscription.create(ctx, filters, {
      url: hookUrl,
      secret: 'first-key',
    });
    const posted = fake.requests.at(-1);
    expect(posted).toMatchObject({ method: 'POST', path: '/webhook_subscriptions' });
    expect(posted?.body).toEqual({
      url: hookUrl,
      events: ['invitee.created'],
      organization: fake.organizationUri,
      scope: 'user',
      user: fake.userUri,
      signing_key: 'first-key',
    });
    // A retried create cannot learn the first signing key: it replaces the subscription instead of a 409.
    const second = await inviteeCreated.subscription.create(ctx, filters, {
      url: hookUrl,
      secret: 'second-key',
    });
    expect(second.id).not.toBe(first.id);
    expect(fake.subscriptions()).toEqual([
      expect.objectContaining({ uri: second.id, signing_key: 'second-key' }),
    ]);
    await inviteeCreated.subscription.delete(ctx, filters, second);
    expect(fake.subscriptions()).toEqual([]);
    await inviteeCreated.subscription.delete(ctx, filters, second);
  });

  it('verifies Calendly-Webhook-Signature with its tolerance, parses and filters a booking', () => {
    if (inviteeCreated.kind !== 'webhook') throw new Error('webhook');
    const body = {
      event: 'invitee.created',
      created_at: '2026-12-04T09:30:00.000000Z',
      payload: {
        uri: 'https://api.calendly.com/scheduled_events/EV1/invitees/INV1',
        name: 'Ana Lima',
        email: 'ana@example.com',
        timezone: 'Europe/Berlin',
        event: 'https://api.calendly.com/scheduled_events/EV1',
        questions_and_answers: [{ question: 'Topic?', answer: 'Pricing', position: 0 }],
        scheduled_event: {
          name: 'Intro call',
          event_type: fake.eventTypeUri,
          start_time: '2026-12-09T14:00:00.000000Z',
          end_time: '2026-12-09T14:30:00.000000Z',
          location: { type: 'physical', location: 'Main St 1' },
        },
      },
    };
    const rawBody = Buffer.from(JSON.stringify(body));
    const now = Date.now();
    const sign = (at: number, key = 'signing-key') => {
      const t = Math.floor(at / 1000);
      return `t=${t},v1=${createHmac('sha256', key).update(`${t}.${rawBody}`).digest('hex')}`;
    };
    expect(verifyCalendlySignature(rawBody, sign(now), 'signing-key', now)).toBe(true);
    expect(verifyCalendlySignature(rawBody, sign(now - 170_000), 'signing-key', now)).toBe(true);
    expect(verifyCalendlySignature(rawBody, sign(now - 200_000), 'signing-key', now)).toBe(false);
    expect(verifyCalendlySignature(rawBody, sign(now, 'other-key'), 'signing-key', now)).toBe(false);
    expect(verifyCalendlySignature(Buffer.from(`${rawBody} `), sign(now), 'signing-key', now)).toBe(false);
    const delivery = { headers: { 'calendly-webhook-signature': sign(Date.now()) }, rawBody, body };
    expect(inviteeCreated.verify(delivery, 'signing-key')).toBe(true);
    const data = parseCalendlyDelivery(body);
    expect(data).toMatchObject({
      name: 'Ana Lima',
      eventName: 'Intro call',
      location: 'Main St 1',
      questions: [{ question: 'Topic?', answer: 'Pricing' }],
      rescheduled: false,
    });
    expect(inviteeCreated.deliveryId?.(delivery)).toBe(
      'calendly:https://api.calendly.com/scheduled_events/EV1/invitees/INV1',
    );
    const filters = (value: object) => inviteeCreated.with.parse(value);
    expect(inviteeCreated.matches?.(filters({ eventTypes: [fake.eventTypeUri] }), data)).toBe(true);
    expect(
      inviteeCreated.matches?.(filters({ eventTypes: ['https://api.calendly.com/event_types/OTHER'] }), data),
    ).toBe(false);
    expect(parseCalendlyDelivery({ ...body, event: 'invitee.canceled' })).toBeUndefined();
  });

  it('tests the token; a revoked one is E_AUTH with what to do', async () => {
    const client = calendlyConnector.createClient({ credential: credential(), env });
    expect(
      await calendlyConnector.testCredential?.({
        credential: credential(),
        client,
        signal: AbortSignal.timeout(5000),
      }),
    ).toContain('Ana Lima');
    const stale = credential();
    fake.revoke();
    const error = await runError('listScheduledEvents', {}, { credential: stale });
    expect(error).toMatchObject({ code: 'E_AUTH', status: 401 });
    expect((error as { hint: string }).hint).toContain('--type calendly');
    expect(JSON.stringify({ message: (error as Error).message })).not.toContain(stale.token);
  });

  it('documents every action and the trigger', async () => {
    const doc = await readFile(calendlyConnector.docPath, 'utf8');
    expect(docSections(doc)).toEqual([
      ...calendlyConnector.actions.map((action) => action.key),
      ...calendlyConnector.triggers.map((trigger) => `trigger:${trigger.key}`),
    ]);
  });
});
