import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { linearConnector } from './connector.ts';
import { type LinearFake, linearError, startLinearFake } from './fake-server.ts';
import { issueCreated, signLinearPayload, verifyLinearDelivery } from './triggers/issue-created.ts';

let fake: LinearFake;
let env: ReturnType<typeof createTestEnvironment>;
const credential = () => ({ apiKey: fake.apiKey });

beforeAll(async () => {
  fake = await startLinearFake();
  env = createTestEnvironment({ linear: fake.url });
});
afterAll(async () => {
  await fake.close();
});

const run = (key: string, input: unknown, options: { credential?: unknown; credentialType?: string } = {}) =>
  runAction(linearConnector, key, input, { env, credential: credential(), ...options });
const runError = (key: string, input: unknown, options: { credential?: unknown } = {}) =>
  runActionError(linearConnector, key, input, { env, credential: credential(), ...options });

describe('linear connector against the Linear GraphQL fake', () => {
  it('creates an issue, updates it and comments on it through GraphQL mutations', async () => {
    const issue = (await run('createIssue', {
      teamId: fake.teamId,
      title: 'Checkout fails with a 500',
      description: 'Seen by **3** customers.',
      priority: 2,
      assigneeId: fake.userId,
      labelIds: [fake.labelId],
    })) as { id: string; identifier: string };
    expect(issue).toMatchObject({
      identifier: expect.stringMatching(/^ENG-\d+$/),
      title: 'Checkout fails with a 500',
      priority: 2,
      team: 'ENG',
      state: 'Todo',
      assignee: 'Ana Silva',
      labels: ['bug'],
    });
    const sent = fake.requests.at(-1);
    expect(sent?.path).toBe('/graphql');
    expect(sent?.headers.authorization).toBe(fake.apiKey);
    const body = sent?.body as { query: string; variables: unknown };
    expect(body.query).toMatch(/^mutation IssueCreate\(\$input: IssueCreateInput!\)/);
    expect(body.variables).toEqual({
      input: {
        teamId: fake.teamId,
        title: 'Checkout fails with a 500',
        description: 'Seen by **3** customers.',
        priority: 2,
        assigneeId: fake.userId,
        labelIds: [fake.labelId],
      },
    });

    const updated = await run('updateIssue', {
      issueId: issue.identifier,
      stateId: fake.doneStateId,
      assigneeId: null,
    });
    expect(updated).toMatchObject({ identifier: issue.identifier, state: 'Done', assignee: null });
    expect(fake.requests.at(-1)?.body).toMatchObject({
      variables: {
        id: issue.identifier,
        input: { stateId: fake.doneStateId, assigneeId: null },
      },
    });

    const comment = await run('addComment', { issueId: issue.id, body: 'Fixed in 2.4.' });
    expect(comment).toMatchObject({ id: expect.any(String), url: expect.stringContaining(issue.identifier) });
    expect(
      fake
        .issues()
        .find((candidate) => candidate.id === issue.id)
        ?.comments.map((c) => c.body),
    ).toEqual(['Fixed in 2.4.']);
  });

  it('maps GraphQL errors in a 200 body and in a 400 to clear errors with hints', async () => {
    const missing = await runError('addComment', { issueId: 'ENG-9999', body: 'x' });
    expect(missing).toMatchObject({ code: 'E_NOT_FOUND', retryable: false });
    expect((missing as Error).message).toContain('CommentCreate failed: Could not find referenced issue.');
    expect(
      await runError('createIssue', { teamId: '9cfb482a-81e3-4154-b5b9-2c805e70a02d', title: 'x' }),
    ).toMatchObject({
      code: 'E_NOT_FOUND',
    });
    fake.fail('IssueCreate', {
      status: 400,
      body: linearError('INVALID_INPUT', 'Argument Validation Error', 'title must be shorter'),
    });
    const refused = await runError('createIssue', { teamId: fake.teamId, title: 'y' });
    expect(refused).toMatchObject({ code: 'E_REQUEST', status: 400 });
    expect((refused as Error).message).toContain('title must be shorter');
    expect((refused as { details: unknown }).details).toMatchObject({ vendorCode: 'INVALID_INPUT' });
  });

  it('RATELIMITED is E_RATE_LIMITED and waits until X-RateLimit-Requests-Reset (in a 400 or a 200)', async () => {
    const reset = String(Date.now() + 30_000);
    fake.fail('CommentCreate', {
      status: 400,
      headers: { 'x-ratelimit-requests-remaining': '0', 'x-ratelimit-requests-reset': reset },
      body: linearError('RATELIMITED', 'Rate limit exceeded'),
    });
    const limited = (await runError('addComment', { issueId: 'ENG-1', body: 'x' })) as {
      retryAfterMs: number;
    };
    expect(limited).toMatchObject({ code: 'E_RATE_LIMITED', retryable: true });
    expect(limited.retryAfterMs).toBeGreaterThan(25_000);
    fake.fail('CommentCreate', {
      status: 200,
      headers: { 'x-ratelimit-requests-reset': reset },
      body: { ...linearError('RATELIMITED', 'Rate limit exceeded'), data: null },
    });
    const inBody = (await runError('addComment', { issueId: 'ENG-1', body: 'x' })) as {
      retryAfterMs: number;
    };
    expect(inBody).toMatchObject({ code: 'E_RATE_LIMITED', retryable: true });
    expect(inBody.retryAfterMs).toBeGreaterThan(25_000);
  });

  it('takes an OAuth access token as Bearer', async () => {
    await run(
      'createIssue',
      { teamId: fake.teamId, title: 'via oauth' },
      { credential: { accessToken: fake.accessToken } },
    );
    expect(fake.requests.at(-1)?.headers.authorization).toBe(`Bearer ${fake.accessToken}`);
  });

  it('takes an oauth2 credential connected with the linear provider, sent as Bearer', async () => {
    const connected = {
      provider: 'linear',
      authorizeUrl: 'https://linear.app/oauth/authorize',
      tokenUrl: 'https://api.linear.app/oauth/token',
      clientId: 'linear-app',
      clientSecret: 'linear-app-secret-0123456789',
      scopes: ['read', 'write'],
      accessToken: fake.accessToken,
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    };
    await run(
      'createIssue',
      { teamId: fake.teamId, title: 'via connected app' },
      { credential: connected, credentialType: 'oauth2' },
    );
    expect(fake.requests.at(-1)?.headers.authorization).toBe(`Bearer ${fake.accessToken}`);
    expect(linearConnector.oauthProviders?.map((provider) => provider.id)).toEqual(['linear']);
  });

  it('a revoked key is E_AUTH (AUTHENTICATION_ERROR) with how to make a new one; testCredential says so too', async () => {
    const stale = credential();
    const check = (given: ReturnType<typeof credential>) =>
      linearConnector.testCredential?.({
        credential: given,
        client: linearConnector.createClient({ credential: given, env }),
        signal: new AbortController().signal,
      });
    expect(await check(stale)).toContain('Ana Silva');
    fake.revoke();
    const error = await runError('addComment', { issueId: 'ENG-1', body: 'x' }, { credential: stale });
    expect(error).toMatchObject({ code: 'E_AUTH', retryable: false });
    expect((error as { hint: string }).hint).toContain('--type linear');
    await expect(check(stale)).rejects.toMatchObject({ code: 'E_AUTH' });
  });

  it('issueCreated: Linear-Signature over the raw body, a fresh webhookTimestamp, filters', () => {
    if (issueCreated.kind !== 'webhook') throw new Error('webhook trigger expected');
    const secret = 'lin_wh_0123456789abcdefghijklmnop';
    const payload = (timestamp: number) =>
      Buffer.from(
        JSON.stringify({
          action: 'create',
          type: 'Issue',
          createdAt: '2026-12-04T09:30:00.000Z',
          actor: { id: 'u1', name: 'Ana Silva' },
          data: {
            id: '2f8e3b8a-5d0e-4e4b-9a57-4a3c1c2e9d10',
            identifier: 'ENG-123',
            title: 'Checkout fails',
            priority: 1,
            team: { id: 't1', key: 'ENG' },
            state: { name: 'Triage' },
            labels: [{ id: 'l1', name: 'bug' }],
          },
          url: 'https://linear.app/acme/issue/ENG-123',
          webhookTimestamp: timestamp,
          webhookId: 'wh1',
        }),
      );
    const delivery = (raw: Buffer, signature: string) => ({
      headers: { 'linear-signature': signature, 'linear-delivery': 'd-1', 'linear-event': 'Issue' },
      rawBody: raw,
      body: JSON.parse(raw.toString()) as unknown,
    });
    const fresh = payload(Date.now());
    expect(issueCreated.verify(delivery(fresh, signLinearPayload(fresh, secret)), secret)).toBe(true);
    // The runtime verifies before it parses the body: the timestamp is read from the raw bytes.
    expect(
      issueCreated.verify({ ...delivery(fresh, signLinearPayload(fresh, secret)), body: null }, secret),
    ).toBe(true);
    expect(issueCreated.verify(delivery(fresh, signLinearPayload(fresh, 'other-secret')), secret)).toBe(
      false,
    );
    expect(issueCreated.verify(delivery(fresh, signLinearPayload(`${fresh} `, secret)), secret)).toBe(false);
    const stale = payload(Date.now() - 120_000);
    expect(issueCreated.verify(delivery(stale, signLinearPayload(stale, secret)), secret)).toBe(false);
    expect(
      verifyLinearDelivery(delivery(stale, signLinearPayload(stale, secret)), secret, Date.now() - 100_000),
    ).toBe(true);
    const data = issueCreated.parse(delivery(fresh, ''));
    expect(data).toMatchObject({
      identifier: 'ENG-123',
      team: 'ENG',
      priority: 1,
      labels: ['bug'],
      actor: 'Ana Silva',
    });
    expect(issueCreated.deliveryId?.(delivery(fresh, ''))).toBe('d-1');
    const filters = (value: unknown) => issueCreated.with.parse(value);
    expect(issueCreated.matches?.(filters({ teams: ['ENG'], maxPriority: 2 }), data)).toBe(true);
    expect(issueCreated.matches?.(filters({ teams: ['OPS'] }), data)).toBe(false);
    expect(issueCreated.matches?.(filters({ labels: ['feature'] }), data)).toBe(false);
    const updatedEvent = { ...(JSON.parse(fresh.toString()) as object), action: 'update' };
    expect(issueCreated.parse({ ...delivery(fresh, ''), body: updatedEvent })).toBeUndefined();
  });

  it('documents every action and the trigger', async () => {
    const doc = await readFile(linearConnector.docPath, 'utf8');
    expect(docSections(doc)).toEqual([
      ...linearConnector.actions.map((action) => action.key),
      ...linearConnector.triggers.map((trigger) => `trigger:${trigger.key}`),
    ]);
  });
});
