import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { zendeskConnector } from './connector.ts';
import { startZendeskFake, type ZendeskFake, zendeskError } from './fake-server.ts';
import { ticketCreated } from './triggers/ticket-created.ts';

let fake: ZendeskFake;
let env: ReturnType<typeof createTestEnvironment>;
const credential = () => ({ subdomain: fake.subdomain, email: fake.email, apiToken: fake.apiToken });

beforeAll(async () => {
  fake = await startZendeskFake();
  env = createTestEnvironment({ zendesk: fake.url });
});
afterAll(async () => {
  await fake.close();
});

type Options = { credential?: unknown; idempotencyKey?: string };
const run = (key: string, input: unknown, options: Options = {}) =>
  runAction(zendeskConnector, key, input, { env, credential: credential(), ...options });
const runError = (key: string, input: unknown, options: Options = {}) =>
  runActionError(zendeskConnector, key, input, { env, credential: credential(), ...options });

describe('zendesk connector against the Zendesk Support API v2 fake', () => {
  it('creates a ticket with an Idempotency-Key, updates it and replies on it', async () => {
    const ticket = (await run(
      'createTicket',
      {
        subject: 'Refund for order 1042',
        body: 'I was charged twice.',
        requesterEmail: 'ana@example.com',
        requesterName: 'Ana Silva',
        priority: 'high',
        tags: ['billing'],
      },
      { idempotencyKey: 'run-7:ticket:0' },
    )) as { id: number; url: string; status: string };
    expect(ticket).toMatchObject({
      subject: 'Refund for order 1042',
      status: 'new',
      priority: 'high',
      tags: ['billing'],
    });
    expect(ticket.url).toBe(`${new URL(fake.url).origin}/agent/tickets/${ticket.id}`);
    const sent = fake.requests.at(-1);
    expect(sent?.headers.authorization).toBe(
      `Basic ${Buffer.from(`${fake.email}/token:${fake.apiToken}`).toString('base64')}`,
    );
    expect(sent?.headers['idempotency-key']).toBe('run-7:ticket:0');
    expect(sent?.body).toEqual({
      ticket: {
        subject: 'Refund for order 1042',
        comment: { body: 'I was charged twice.', public: true },
        requester: { email: 'ana@example.com', name: 'Ana Silva' },
        priority: 'high',
        tags: ['billing'],
      },
    });
    // A retry with the same key gets the same ticket back.
    const again = (await run(
      'createTicket',
      {
        subject: 'Refund for order 1042',
        body: 'I was charged twice.',
        requesterEmail: 'ana@example.com',
        requesterName: 'Ana Silva',
        priority: 'high',
        tags: ['billing'],
      },
      { idempotencyKey: 'run-7:ticket:0' },
    )) as { id: number };
    expect(again.id).toBe(ticket.id);
    expect(fake.tickets().filter((candidate) => candidate.subject === 'Refund for order 1042')).toHaveLength(
      1,
    );

    const updated = await run('updateTicket', {
      ticketId: String(ticket.id),
      status: 'open',
      assigneeId: 368920,
    });
    expect(updated).toMatchObject({ id: ticket.id, status: 'open', assigneeId: 368920 });
    expect(fake.requests.at(-1)).toMatchObject({
      method: 'PUT',
      path: `/api/v2/tickets/${ticket.id}.json`,
      body: { ticket: { status: 'open', assignee_id: 368920 } },
    });

    const reply = await run('addComment', { ticketId: ticket.id, body: 'Refund issued.', status: 'solved' });
    expect(reply).toMatchObject({
      ticketId: ticket.id,
      public: true,
      status: 'solved',
      commentId: expect.any(Number),
    });
    expect(fake.requests.at(-1)?.body).toEqual({
      ticket: { comment: { body: 'Refund issued.', public: true }, status: 'solved' },
    });
    await run('addComment', { ticketId: ticket.id, body: 'Internal: verified with finance.', public: false });
    expect(
      fake
        .tickets()
        .find((candidate) => candidate.id === ticket.id)
        ?.comments.map((comment) => comment.public),
    ).toEqual([true, true, false]);
  });

  it('searches through the cursor-paged export (page[size], links.next) up to limit', async () => {
    fake.seed(250, { tags: ['bulk'] });
    const before = fake.requests.length;
    const found = (await run('searchTickets', { query: 'tags:bulk', limit: 220 })) as {
      tickets: unknown[];
      truncated: boolean;
    };
    expect(found.tickets).toHaveLength(220);
    expect(found.truncated).toBe(true);
    const pages = fake.requests.slice(before);
    expect(pages).toHaveLength(3);
    expect(pages[0]?.query).toEqual({ query: 'tags:bulk', 'filter[type]': 'ticket', 'page[size]': '100' });
    expect(pages[1]?.query).toHaveProperty('page[after]');
    const all = (await run('searchTickets', { query: 'tags:bulk', limit: 1000 })) as {
      tickets: unknown[];
      truncated: boolean;
    };
    expect(all).toMatchObject({ truncated: false });
    expect(all.tickets).toHaveLength(250);
  });

  it('maps RecordInvalid details to a message naming the field, and RecordNotFound to E_NOT_FOUND', async () => {
    const error = await runError('createTicket', { subject: 'x', body: 'y', assigneeId: 1 });
    expect(error).toMatchObject({ code: 'E_REQUEST', status: 422, retryable: false });
    expect((error as Error).message).toContain('Assignee: is not an agent in this account');
    expect((error as { hint: string }).hint).toContain('Change assignee');
    expect((error as { details: unknown }).details).toMatchObject({ vendorCode: 'RecordInvalid' });
    expect(await runError('updateTicket', { ticketId: 1, status: 'open' })).toMatchObject({
      code: 'E_NOT_FOUND',
    });
    expect(await runError('updateTicket', { ticketId: 1 })).toMatchObject({ code: 'E_PARAMS' });
  });

  it('a 429 is retryable after Retry-After', async () => {
    fake.fail('PUT /tickets/:id.json', {
      status: 429,
      headers: { 'retry-after': '42' },
      body: zendeskError('APIRateLimitExceeded', 'Number of allowed API requests per minute exceeded'),
    });
    expect(await runError('addComment', { ticketId: 35436, body: 'later' })).toMatchObject({
      code: 'E_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 42_000,
    });
  });

  it('takes an OAuth access token as Bearer', async () => {
    await run(
      'searchTickets',
      { query: 'tags:none' },
      { credential: { subdomain: 'acme', accessToken: fake.accessToken } },
    );
    expect(fake.requests.at(-1)?.headers.authorization).toBe(`Bearer ${fake.accessToken}`);
    expect(
      await runError(
        'searchTickets',
        { query: 'x' },
        { credential: { subdomain: 'acme', email: fake.email } },
      ),
    ).toMatchObject({
      code: 'E_CREDENTIAL',
    });
  });

  it('ticketCreated polls the Search API for tickets created after the watermark', async () => {
    if (ticketCreated.kind !== 'poll') throw new Error('poll trigger expected');
    const ctx = {
      credential: credential(),
      client: zendeskConnector.createClient({ credential: credential(), env }),
      logger: createLogger({ level: 'silent' }),
      signal: new AbortController().signal,
      env,
    };
    const old = fake.seed(1, { subject: 'Old one', tags: ['vip'], created_at: '2026-12-01T08:00:00Z' });
    const fresh = fake.seed(2, { tags: ['vip'], created_at: '2026-12-04T09:30:00Z' });
    const filters = ticketCreated.with.parse({ query: 'tags:vip' });
    expect(ticketCreated.intervalMs(filters)).toBe(60_000);
    const first = await ticketCreated.poll(ctx, filters, { after: undefined, state: undefined });
    expect(first.items.map((item) => item.id).sort()).toEqual(
      [...old, ...fresh].map((ticket) => String(ticket.id)).sort(),
    );
    expect(fake.requests.at(-1)?.query).toEqual({
      query: 'type:ticket tags:vip',
      sort_by: 'created_at',
      sort_order: 'desc',
      per_page: '100',
    });
    const after = { at: Date.parse('2026-12-02T00:00:00Z'), id: String(old[0]?.id) };
    const next = await ticketCreated.poll(ctx, filters, { after, state: {} });
    expect(fake.requests.at(-1)?.query).toMatchObject({
      query: 'type:ticket created>2026-12-01T23:59:59Z tags:vip',
    });
    expect(next.items.map((item) => item.id).sort()).toEqual(fresh.map((ticket) => String(ticket.id)).sort());
    expect(next.items[0]).toMatchObject({
      at: Date.parse('2026-12-04T09:30:00Z'),
      data: { tags: ['vip'], status: 'new' },
    });
  });

  it('a revoked token is E_AUTH with how to make a new one; testCredential says so too', async () => {
    const stale = credential();
    const check = (given: ReturnType<typeof credential>) =>
      zendeskConnector.testCredential?.({
        credential: given,
        client: zendeskConnector.createClient({ credential: given, env }),
        signal: new AbortController().signal,
      });
    expect(await check(stale)).toContain('Ana Agent');
    fake.revoke();
    const error = await runError('searchTickets', { query: 'x' }, { credential: stale });
    expect(error).toMatchObject({ code: 'E_AUTH', retryable: false });
    expect((error as Error).message).toContain("Couldn't authenticate you");
    expect((error as { hint: string }).hint).toContain('--type zendesk');
    await expect(check(stale)).rejects.toMatchObject({ code: 'E_AUTH' });
  });

  it('documents every action and the trigger', async () => {
    const doc = await readFile(zendeskConnector.docPath, 'utf8');
    expect(docSections(doc)).toEqual([
      ...zendeskConnector.actions.map((action) => action.key),
      ...zendeskConnector.triggers.map((trigger) => `trigger:${trigger.key}`),
    ]);
  });
});
