import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { asanaConnector } from './connector.ts';
import { type AsanaFake, asanaError, startAsanaFake } from './fake-server.ts';
import { signAsanaPayload, taskCreated } from './triggers/task-created.ts';

let fake: AsanaFake;
let env: ReturnType<typeof createTestEnvironment>;
let target: Server;
let targetUrl = '';
let echoHandshake = true;
const handshakes: string[] = [];
const credential = () => ({ token: fake.token });

beforeAll(async () => {
  fake = await startAsanaFake();
  env = createTestEnvironment({ asana: fake.url });
  target = createServer((request, response) => {
    const secret = request.headers['x-hook-secret'];
    if (typeof secret === 'string') handshakes.push(secret);
    response
      .writeHead(200, typeof secret === 'string' && echoHandshake ? { 'x-hook-secret': secret } : {})
      .end();
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/hooks/wf_asana`;
});
afterAll(async () => {
  await fake.close();
  await new Promise((resolve) => target.close(resolve));
});

const run = (key: string, input: unknown, options: { credential?: unknown } = {}) =>
  runAction(asanaConnector, key, input, { env, credential: credential(), ...options });
const runError = (key: string, input: unknown, options: { credential?: unknown } = {}) =>
  runActionError(asanaConnector, key, input, { env, credential: credential(), ...options });

describe('asana connector against the Asana REST API 1.0 fake', () => {
  it('creates a task in a project, updates it, comments on it and reads it back', async () => {
    const task = (await run('createTask', {
      name: 'Send the contract to Ana',
      notes: 'Version 3, signed by legal.',
      projectGid: fake.projectGid,
      assignee: 'me',
      dueOn: '2026-12-24',
    })) as { gid: string; url: string };
    expect(task).toMatchObject({
      name: 'Send the contract to Ana',
      assignee: 'Ana Silva',
      dueOn: '2026-12-24',
      projects: ['Launch'],
    });
    expect(task.url).toBe(`https://app.asana.com/0/${fake.projectGid}/${task.gid}`);
    const sent = fake.requests.at(-1);
    expect(sent?.headers.authorization).toBe(`Bearer ${fake.token}`);
    expect(sent?.query).toMatchObject({ opt_fields: expect.stringContaining('permalink_url') });
    expect(sent?.body).toEqual({
      data: {
        name: 'Send the contract to Ana',
        notes: 'Version 3, signed by legal.',
        projects: [fake.projectGid],
        assignee: 'me',
        due_on: '2026-12-24',
      },
    });
    expect(await run('updateTask', { taskGid: task.gid, completed: true, assignee: null })).toMatchObject({
      completed: true,
      assignee: null,
    });
    expect(fake.requests.at(-1)).toMatchObject({
      method: 'PUT',
      path: `/api/1.0/tasks/${task.gid}`,
      body: { data: { completed: true, assignee: null } },
    });
    expect(await run('addComment', { taskGid: task.gid, text: 'Sent.' })).toMatchObject({
      taskGid: task.gid,
      gid: expect.any(String),
    });
    expect(fake.requests.at(-1)?.body).toEqual({ data: { text: 'Sent.' } });
    expect(await run('getTask', { taskGid: task.gid })).toMatchObject({
      found: true,
      task: { gid: task.gid, completed: true },
    });
    expect(await run('getTask', { taskGid: '1' })).toEqual({ found: false, task: null });
  });

  it('maps { errors: [{ message, help }] } to the message and hint', async () => {
    const error = await runError('createTask', { name: 'x', projectGid: '42' });
    expect(error).toMatchObject({ code: 'E_REQUEST', status: 400 });
    expect((error as Error).message).toContain('projects: [0]: Not a recognized ID: 42');
    expect((error as { hint: string }).hint).toBe('Use the gid of a project in this workspace.');
    expect(await runError('addComment', { taskGid: '7', text: 'x' })).toMatchObject({ code: 'E_NOT_FOUND' });
    expect(await runError('createTask', { name: 'nowhere' })).toMatchObject({ code: 'E_PARAMS' });
  });

  it('a 429 is retryable after Retry-After', async () => {
    fake.fail('POST /tasks', {
      status: 429,
      headers: { 'retry-after': '30' },
      body: asanaError('You have made too many requests recently. Please, be chill.'),
    });
    expect(await runError('createTask', { name: 'later', projectGid: fake.projectGid })).toMatchObject({
      code: 'E_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 30_000,
    });
  });

  it('taskCreated registers a project webhook through the handshake, replaces a stale one on a retry, and deletes it', async () => {
    if (taskCreated.kind !== 'webhook' || !taskCreated.subscription)
      throw new Error('self-registering webhook expected');
    const { subscription } = taskCreated;
    const ctx = {
      credential: credential(),
      client: asanaConnector.createClient({ credential: credential(), env }),
      logger: createLogger({ level: 'silent' }),
      signal: new AbortController().signal,
      env,
    };
    const filters = taskCreated.with.parse({ projectGid: fake.projectGid });
    echoHandshake = false;
    await expect(
      subscription.create(ctx, filters, { url: targetUrl, secret: 'unused-by-asana-0123456789' }),
    ).rejects.toMatchObject({
      code: 'E_REQUEST',
      message: expect.stringContaining('handshake secret'),
    });
    echoHandshake = true;
    const first = await subscription.create(ctx, filters, {
      url: targetUrl,
      secret: 'unused-by-asana-0123456789',
    });
    expect(first.secret).toBeUndefined();
    expect(fake.webhooks()).toEqual([
      expect.objectContaining({ gid: first.id, resource: fake.projectGid, target: targetUrl }),
    ]);
    expect(handshakes.at(-1)).toBe(fake.webhooks()[0]?.secret);
    expect(
      fake.requests.find((request) => request.method === 'POST' && request.path === '/api/1.0/webhooks')
        ?.body,
    ).toEqual({
      data: {
        resource: fake.projectGid,
        target: targetUrl,
        filters: [{ resource_type: 'task', action: 'added' }],
      },
    });
    const second = await subscription.create(ctx, filters, {
      url: targetUrl,
      secret: 'unused-by-asana-0123456789',
    });
    expect(fake.webhooks().map((hook) => hook.gid)).toEqual([second.id]);
    await subscription.delete(ctx, filters, { id: second.id });
    expect(fake.webhooks()).toEqual([]);
    await subscription.delete(ctx, filters, { id: second.id });
  });

  it('taskCreated: the handshake gives the secret, X-Hook-Signature is verified over the raw body', () => {
    if (taskCreated.kind !== 'webhook') throw new Error('webhook trigger expected');
    expect(
      taskCreated.handshake?.({
        headers: { 'x-hook-secret': 'abc123abc123abc123' },
        rawBody: Buffer.alloc(0),
        body: null,
      }),
    ).toEqual({
      secret: 'abc123abc123abc123',
      responseHeaders: { 'x-hook-secret': 'abc123abc123abc123' },
    });
    expect(taskCreated.handshake?.({ headers: {}, rawBody: Buffer.alloc(0), body: null })).toBeUndefined();
    const secret = 'd1e8a70b5ccab1dc2f56bbf7e99f064a';
    const raw = Buffer.from(
      JSON.stringify({
        events: [
          {
            user: { gid: '1' },
            created_at: '2026-12-04T09:30:00.000Z',
            action: 'added',
            resource: { gid: '11', resource_type: 'task' },
            parent: { gid: fake.projectGid, resource_type: 'project' },
          },
          {
            user: { gid: '1' },
            action: 'changed',
            resource: { gid: '12', resource_type: 'task' },
            parent: null,
          },
          {
            user: { gid: '1' },
            action: 'added',
            resource: { gid: '13', resource_type: 'task' },
            parent: { gid: fake.projectGid, resource_type: 'project' },
          },
        ],
      }),
    );
    const delivery = (signature: string) => ({
      headers: { 'x-hook-signature': signature },
      rawBody: raw,
      body: JSON.parse(raw.toString()) as unknown,
    });
    expect(taskCreated.verify(delivery(signAsanaPayload(raw, secret)), secret)).toBe(true);
    expect(taskCreated.verify(delivery(signAsanaPayload(raw, 'another-secret-value')), secret)).toBe(false);
    expect(taskCreated.verify(delivery(signAsanaPayload(`${raw}\n`, secret)), secret)).toBe(false);
    const data = taskCreated.parse(delivery(''));
    expect(data).toEqual({
      taskGid: '11',
      taskGids: ['11', '13'],
      projectGid: fake.projectGid,
      createdBy: '1',
      createdAt: '2026-12-04T09:30:00.000Z',
    });
    expect(taskCreated.matches?.(taskCreated.with.parse({ projectGid: fake.projectGid }), data)).toBe(true);
    expect(taskCreated.matches?.(taskCreated.with.parse({ projectGid: '999' }), data)).toBe(false);
    expect(taskCreated.parse({ ...delivery(''), body: { events: [] } })).toBeUndefined();
  });

  it('a revoked token is E_AUTH with how to make a new one; testCredential says so too', async () => {
    const stale = credential();
    const check = (given: ReturnType<typeof credential>) =>
      asanaConnector.testCredential?.({
        credential: given,
        client: asanaConnector.createClient({ credential: given, env }),
        signal: new AbortController().signal,
      });
    expect(await check(stale)).toContain('Ana Silva');
    fake.revoke();
    const error = await runError('getTask', { taskGid: '11' }, { credential: stale });
    expect(error).toMatchObject({ code: 'E_AUTH', retryable: false });
    expect((error as Error).message).toContain('Not Authorized');
    expect((error as { hint: string }).hint).toContain('--type asana');
    await expect(check(stale)).rejects.toMatchObject({ code: 'E_AUTH' });
  });

  it('documents every action and the trigger', async () => {
    const doc = await readFile(asanaConnector.docPath, 'utf8');
    expect(docSections(doc)).toEqual([
      ...asanaConnector.actions.map((action) => action.key),
      ...asanaConnector.triggers.map((trigger) => `trigger:${trigger.key}`),
    ]);
  });
});
