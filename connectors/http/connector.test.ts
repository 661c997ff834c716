import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../sdk/connector-error.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { httpConnector } from './connector.ts';
import { type HttpFake, startHttpFake } from './fake-server.ts';

let fake: HttpFake;
const env = createTestEnvironment();

beforeAll(async () => {
  fake = await startHttpFake();
});
afterAll(async () => {
  await fake.close();
});

const call = (
  input: unknown,
  options: { credential?: unknown; attempt?: number; signal?: AbortSignal } = {},
) => runAction(httpConnector, 'request', input, { env, ...options });

type Echo = {
  status: number;
  headers: Record<string, string>;
  body: { method: string; query: Record<string, unknown>; headers: Record<string, string>; body: unknown };
};

describe('http.request', () => {
  it('sends JSON with query, headers, an Idempotency-Key and parses the JSON answer', async () => {
    const out = (await call({
      method: 'POST',
      url: `${fake.url}/echo`,
      query: { a: 1, tag: ['x', 'y'] },
      headers: { 'x-trace': 't1' },
      body: { hello: 'world' },
    })) as Echo;
    expect(out.status).toBe(200);
    expect(out.headers['content-type']).toContain('application/json');
    expect(out.body.method).toBe('POST');
    expect(out.body.query).toEqual({ a: '1', tag: ['x', 'y'] });
    expect(out.body.body).toEqual({ hello: 'world' });
    expect(out.body.headers['x-trace']).toBe('t1');
    expect(out.body.headers['idempotency-key']).toBe('run-1:node-1:0');
  });

  it('sends form and text bodies, and no Idempotency-Key on GET or when disabled', async () => {
    const form = (await call({
      method: 'PUT',
      url: `${fake.url}/echo`,
      bodyType: 'form',
      body: { a: 'b c', n: 2 },
    })) as Echo;
    expect(form.body.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(form.body.body).toEqual({ a: 'b c', n: '2' });
    const text = (await call({
      method: 'POST',
      url: `${fake.url}/echo`,
      bodyType: 'text',
      body: 'hi',
      idempotencyHeader: false,
    })) as Echo;
    expect(text.body.body).toBe('hi');
    expect(text.body.headers['idempotency-key']).toBeUndefined();
    const get = (await call({ url: `${fake.url}/echo` })) as Echo;
    expect(get.body.headers['idempotency-key']).toBeUndefined();
  });

  it('returns text and empty bodies as text and null', async () => {
    expect(await call({ url: `${fake.url}/text` })).toMatchObject({ status: 200, body: 'plain words' });
    expect(await call({ url: `${fake.url}/empty` })).toMatchObject({ status: 204, body: null });
  });

  it('adds the credential as bearer, basic or custom header', async () => {
    const bearer = (await call(
      { url: `${fake.url}/echo` },
      { credential: { scheme: 'bearer', token: 'tok-123456' } },
    )) as Echo;
    expect(bearer.body.headers.authorization).toBe('Bearer tok-123456');
    const basic = (await call(
      { url: `${fake.url}/echo` },
      { credential: { scheme: 'basic', username: 'u', password: 'p' } },
    )) as Echo;
    expect(basic.body.headers.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    const header = (await call(
      { url: `${fake.url}/echo` },
      { credential: { scheme: 'header', name: 'X-Api-Key', value: 'k-99999' } },
    )) as Echo;
    expect(header.body.headers['x-api-key']).toBe('k-99999');
  });

  it('maps 422 to a non-retryable error carrying the answer, and returns it with failOnStatus false', async () => {
    fake.fail('POST /echo', { status: 422, body: { error: 'title is required' }, times: 2 });
    const error = await runActionError(
      httpConnector,
      'request',
      { method: 'POST', url: `${fake.url}/echo`, body: {} },
      { env },
    );
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error).toMatchObject({ code: 'E_REQUEST', retryable: false, status: 422 });
    expect((error as Error).message).toContain('title is required');
    expect(
      await call({ method: 'POST', url: `${fake.url}/echo`, body: {}, failOnStatus: false }),
    ).toMatchObject({
      status: 422,
      body: { error: 'title is required' },
    });
  });

  it('maps 429 with Retry-After and 503 to retryable errors', async () => {
    fake.fail('GET /echo', { status: 429, body: { error: 'slow down' }, headers: { 'retry-after': '7' } });
    fake.fail('GET /echo', { status: 503, body: 'down' });
    expect(
      await runActionError(httpConnector, 'request', { url: `${fake.url}/echo` }, { env }),
    ).toMatchObject({
      code: 'E_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 7000,
    });
    expect(
      await runActionError(httpConnector, 'request', { url: `${fake.url}/echo` }, { env }),
    ).toMatchObject({
      code: 'E_UPSTREAM',
      retryable: true,
    });
  });

  it('times out via timeoutMs and the step signal as retryable E_TIMEOUT', async () => {
    expect(
      await runActionError(httpConnector, 'request', { url: `${fake.url}/hang`, timeoutMs: 50 }, { env }),
    ).toMatchObject({
      code: 'E_TIMEOUT',
      retryable: true,
    });
    const controller = new AbortController();
    const pending = runActionError(
      httpConnector,
      'request',
      { url: `${fake.url}/hang` },
      { env, signal: controller.signal },
    );
    controller.abort();
    expect(await pending).toMatchObject({ code: 'E_TIMEOUT', retryable: true });
  });

  it('rejects bad parameters and bad bodies with E_PARAMS naming the field', async () => {
    const error = await runActionError(httpConnector, 'request', { url: 'ftp://x', methd: 'GET' }, { env });
    expect(error).toMatchObject({ code: 'E_PARAMS', retryable: false });
    expect((error as Error).message).toMatch(/url/);
    expect((error as Error).message).toMatch(/methd/);
    expect(
      await runActionError(httpConnector, 'request', { url: `${fake.url}/echo`, body: { a: 1 } }, { env }),
    ).toMatchObject({
      code: 'E_PARAMS',
    });
  });

  it('refuses a body larger than maxResponseBytes', async () => {
    expect(
      await runActionError(
        httpConnector,
        'request',
        { url: `${fake.url}/text`, maxResponseBytes: 5 },
        { env },
      ),
    ).toMatchObject({
      code: 'E_RESPONSE_TOO_LARGE',
      retryable: false,
    });
  });

  it('maps connection refused to a retryable network error', async () => {
    const closed = await startHttpFake();
    await closed.close();
    expect(
      await runActionError(httpConnector, 'request', { url: `${closed.url}/echo` }, { env }),
    ).toMatchObject({
      code: 'E_NETWORK',
      retryable: true,
    });
  });

  it('doc.md has one section per action', async () => {
    const sections = docSections(await readFile(httpConnector.docPath, 'utf8'));
    expect(sections).toEqual(httpConnector.actions.map((action) => action.key));
  });
});
