import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorError } from '../sdk/connector-error.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { redisConnector } from './connector.ts';
import { createTestRedis, redisSkipReason, type TestRedis } from './testing/redis.ts';

// redis.* against the real Redis of the machine, under a key prefix of this file's own.

const skip = await redisSkipReason();
if (skip) console.warn(`SKIPPED redis connector tests: ${skip}`);

let redis: TestRedis;
const env = createTestEnvironment();
let step = 0;

beforeAll(async () => {
  if (!skip) redis = await createTestRedis();
});
afterAll(async () => {
  await redis?.close();
});

const credential = () => ({ url: redis.url, keyPrefix: redis.keyPrefix });
const run = (key: string, input: unknown, options: { idempotencyKey?: string; credential?: unknown } = {}) =>
  runAction(redisConnector, key, input, {
    env,
    credential: options.credential ?? credential(),
    idempotencyKey: options.idempotencyKey ?? `run-redis:step-${++step}:0`,
  });
const runError = async (key: string, input: unknown, cred?: unknown) =>
  (await runActionError(redisConnector, key, input, {
    env,
    credential: cred ?? credential(),
  })) as ConnectorError;

describe.skipIf(Boolean(skip))('redis on a real server', () => {
  it('set and get, with EX, PX, NX and XX; keys stay under the prefix', async () => {
    expect(await run('set', { key: 'greeting', value: 'hello wörld', ttlSeconds: 60 })).toEqual({
      written: true,
    });
    expect(await redis.admin.get(`${redis.keyPrefix}greeting`)).toBe('hello wörld');
    const read = (await run('get', { key: 'greeting' })) as { ttlMs: number };
    expect(read).toMatchObject({ found: true, value: 'hello wörld', truncated: false });
    expect(read.ttlMs).toBeGreaterThan(55_000);
    expect(read.ttlMs).toBeLessThanOrEqual(60_000);

    expect(await run('set', { key: 'greeting', value: 'again', onlyIf: 'absent' })).toEqual({
      written: false,
    });
    expect(await run('set', { key: 'lock', value: 'me', onlyIf: 'absent', ttlMs: 1500 })).toEqual({
      written: true,
    });
    expect(await redis.admin.pttl(`${redis.keyPrefix}lock`)).toBeGreaterThan(1000);
    expect(await run('set', { key: 'missing', value: 'x', onlyIf: 'exists' })).toEqual({ written: false });
    expect(await run('get', { key: 'missing' })).toEqual({
      found: false,
      value: null,
      ttlMs: null,
      truncated: false,
    });
    expect(await run('set', { key: 'forever', value: '1' })).toEqual({ written: true });
    expect(await run('get', { key: 'forever' })).toMatchObject({ ttlMs: null });
    expect(await redis.admin.exists('greeting')).toBe(0);
  });

  it('increment counts once per step, whatever the retries', async () => {
    expect(await run('increment', { key: 'visits' })).toEqual({ value: 1 });
    expect(await run('increment', { key: 'visits', by: 10 }, { idempotencyKey: 'run-a:count:0' })).toEqual({
      value: 11,
    });
    // The retry of that step: the same idempotency key gets the first answer back.
    expect(await run('increment', { key: 'visits', by: 10 }, { idempotencyKey: 'run-a:count:0' })).toEqual({
      value: 11,
    });
    expect(await run('increment', { key: 'visits', by: -2 })).toEqual({ value: 9 });
    expect(await redis.admin.get(`${redis.keyPrefix}visits`)).toBe('9');
  });

  it('pushToList and popFromList work a queue, a retried pop returns the same items', async () => {
    expect(await run('pushToList', { key: 'jobs', values: ['a', 'b', 'c'] })).toEqual({ length: 3 });
    expect(await run('pushToList', { key: 'jobs', values: ['z'], end: 'left' })).toEqual({ length: 4 });
    expect(await redis.admin.lrange(`${redis.keyPrefix}jobs`, 0, -1)).toEqual(['z', 'a', 'b', 'c']);
    const pop = { key: 'jobs', count: 2 };
    expect(await run('popFromList', pop, { idempotencyKey: 'run-b:pop:0' })).toEqual({ values: ['z', 'a'] });
    expect(await run('popFromList', pop, { idempotencyKey: 'run-b:pop:0' })).toEqual({ values: ['z', 'a'] });
    expect(await run('popFromList', { key: 'jobs', end: 'right' })).toEqual({ values: ['c'] });
    expect(await run('popFromList', { key: 'empty' })).toEqual({ values: [] });
    expect(await redis.admin.lrange(`${redis.keyPrefix}jobs`, 0, -1)).toEqual(['b']);
  });

  it('publish reaches a subscriber on the prefixed channel, once per step', async () => {
    const subscriber = redis.admin.duplicate();
    const received: string[] = [];
    await subscriber.subscribe(`${redis.keyPrefix}orders`);
    subscriber.on('message', (_channel, message) => received.push(message));
    expect(
      await run('publish', { channel: 'orders', message: '{"id":1}' }, { idempotencyKey: 'run-c:pub:0' }),
    ).toEqual({ receivers: 1 });
    expect(
      await run('publish', { channel: 'orders', message: '{"id":1}' }, { idempotencyKey: 'run-c:pub:0' }),
    ).toEqual({ receivers: 1 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received).toEqual(['{"id":1}']);
    subscriber.disconnect();
  });

  it('a key of another type is a clear, non-retryable error', async () => {
    await redis.admin.rpush(`${redis.keyPrefix}a-list`, 'x');
    const wrongGet = await runError('get', { key: 'a-list' });
    expect(wrongGet.code).toBe('E_REQUEST');
    expect(wrongGet.hint).toContain('popFromList');
    const wrongIncr = await runError('increment', { key: 'a-list' });
    expect(wrongIncr.code).toBe('E_REQUEST');
    expect(wrongIncr.message).toContain('WRONGTYPE');
    expect(wrongIncr.retryable).toBe(false);
  });

  it('a wrong password is E_AUTH with a hint, an unreachable server is retryable, a bad URL is refused', async () => {
    const url = new URL(redis.url);
    url.username = 'nobody';
    url.password = 'wrong-password';
    const auth = await runError('get', { key: 'x' }, { url: url.toString() });
    expect(auth.code).toBe('E_AUTH');
    expect(auth.hint).toContain('password');
    expect(auth.message).not.toContain('wrong-password');
    const down = await runError('get', { key: 'x' }, { url: 'redis://127.0.0.1:1/0' });
    expect(down.retryable).toBe(true);
    const badDb = await runError('get', { key: 'x' }, { url: 'redis://127.0.0.1:6379/abc' });
    expect(badDb.code).toBe('E_CREDENTIAL');
  });

  it('testCredential pings', async () => {
    const client = redisConnector.createClient({ credential: credential(), env });
    const said = await redisConnector.testCredential?.({
      credential: credential(),
      client,
      signal: new AbortController().signal,
    });
    expect(said).toBe('Redis answered PONG.');
  });
});

describe('redis without a server', () => {
  it('refuses a private or loopback host outside the allow-list', async () => {
    const error = (await runActionError(
      redisConnector,
      'get',
      { key: 'x' },
      {
        env: { ...env, openSocket: undefined },
        credential: { url: 'redis://127.0.0.1:6379/0' },
      },
    )) as ConnectorError;
    expect(error.code).toBe('E_BLOCKED_DESTINATION');
  });

  it('doc.md has one section per action', async () => {
    const doc = await readFile(redisConnector.docPath, 'utf8');
    expect(docSections(doc)).toEqual(redisConnector.actions.map((action) => action.key));
  });
});
