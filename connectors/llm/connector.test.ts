import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectorError } from '../sdk/connector-error.ts';
import { createSafeFetch } from '../sdk/safe-fetch.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { llmConnector } from './connector.ts';
import { type LlmFake, startLlmFake, vendorErrorBody } from './fake-server.ts';

const API_KEY = 'sk-test-canary-1234567890';
let fake: LlmFake;
let openai: Record<string, unknown>;
let anthropic: Record<string, unknown>;
const env = createTestEnvironment();

beforeAll(async () => {
  fake = await startLlmFake({ apiKey: API_KEY });
  openai = { provider: 'openai', apiKey: API_KEY, baseUrl: `${fake.url}/v1`, model: 'gpt-test' };
  anthropic = { provider: 'anthropic', apiKey: API_KEY, baseUrl: fake.url, model: 'claude-test' };
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
});

const run = (key: string, input: unknown, credential: unknown) =>
  runAction(llmConnector, key, input, { env, credential });
const fail = async (key: string, input: unknown, credential: unknown, runEnv = env) =>
  (await runActionError(llmConnector, key, input, { env: runEnv, credential })) as ConnectorError;

describe.each([
  ['openai', () => openai, '/v1/chat/completions'],
  ['anthropic', () => anthropic, '/v1/messages'],
] as const)('llm over %s', (route, credential, path) => {
  it('generateText sends the prompt, system and model, and returns the text', async () => {
    fake.reply('Three bullets.');
    const out = (await run(
      'generateText',
      { prompt: 'Summarise this', system: 'Be brief.', maxTokens: 50, model: 'override-model' },
      credential(),
    )) as { text: string; model: string; usage: { inputTokens: number } };
    expect(out.text).toBe('Three bullets.');
    expect(out.model).toBe('override-model');
    expect(out.usage.inputTokens).toBeGreaterThan(0);
    const sent = fake.requests[0];
    expect(sent?.path).toBe(path);
    const body = sent?.body as Record<string, unknown>;
    expect(body.model).toBe('override-model');
    expect(body.max_tokens).toBe(50);
    expect(JSON.stringify(body)).toContain('Be brief.');
  });

  it('extract parses JSON (even fenced) and checks it against the schema', async () => {
    const schema = {
      type: 'object',
      properties: { vendor: { type: 'string' }, total: { type: 'number' } },
      required: ['vendor', 'total'],
    };
    fake.reply('```json\n{"vendor":"ACME","total":12.5}\n```');
    const out = (await run('extract', { text: 'Invoice from ACME, 12.50 EUR', schema }, credential())) as {
      data: unknown;
    };
    expect(out.data).toEqual({ vendor: 'ACME', total: 12.5 });
    expect(JSON.stringify(fake.requests[0]?.body)).toContain('JSON Schema');

    fake.reply('{"vendor":"ACME","total":"twelve"}');
    const wrong = await fail('extract', { text: 'x', schema }, credential());
    expect(wrong.code).toBe('E_OUTPUT_INVALID');
    expect(wrong.retryable).toBe(true);
    expect(wrong.message).toContain('total');

    fake.reply('I could not find anything.');
    const prose = await fail('extract', { text: 'x', schema }, credential());
    expect(prose.code).toBe('E_OUTPUT_INVALID');
  });

  it('classify returns exactly one of the labels', async () => {
    fake.reply(' Bug.');
    const out = (await run(
      'classify',
      { text: 'The app crashes on start', labels: ['bug', 'feature', 'question'] },
      credential(),
    )) as { label: string };
    expect(out.label).toBe('bug');
    fake.reply('Maybe a feature or a question');
    const unclear = await fail(
      'classify',
      { text: 'x', labels: ['bug', 'feature', 'question'] },
      credential(),
    );
    expect(unclear.code).toBe('E_OUTPUT_INVALID');
  });

  it('429 is retryable with Retry-After; a single attempt, no SDK retries', async () => {
    fake.failNext(route, {
      status: 429,
      headers: { 'retry-after': '7' },
      body: vendorErrorBody(route, 429, 'Rate limit reached'),
    });
    const error = await fail('generateText', { prompt: 'hi' }, credential());
    expect(error.code).toBe('E_RATE_LIMITED');
    expect(error.retryable).toBe(true);
    expect(error.retryAfterMs).toBe(7000);
    expect(fake.requests).toHaveLength(1);
  });

  it('5xx is retryable; a bad key is not, and the key never shows in the error', async () => {
    fake.failNext(route, {
      status: route === 'anthropic' ? 529 : 503,
      body: vendorErrorBody(route, 503, 'Overloaded'),
    });
    const upstream = await fail('generateText', { prompt: 'hi' }, credential());
    expect(upstream.code).toBe('E_UPSTREAM');
    expect(upstream.retryable).toBe(true);
    const auth = await fail(
      'generateText',
      { prompt: 'hi' },
      { ...credential(), apiKey: 'sk-wrong-key-000' },
    );
    expect(auth.code).toBe('E_AUTH');
    expect(auth.retryable).toBe(false);
    expect(JSON.stringify(auth.toJSON())).not.toContain('sk-wrong-key-000');
  });
});

describe('llm connector', () => {
  it('needs a model from the node or the credential', async () => {
    const error = await fail(
      'generateText',
      { prompt: 'hi' },
      { provider: 'openai', apiKey: API_KEY, baseUrl: `${fake.url}/v1` },
    );
    expect(error.code).toBe('E_PARAMS');
    expect(fake.requests).toHaveLength(0);
  });

  it('sends through env.fetch: the guarded fetch blocks a private baseUrl', async () => {
    const guarded = { ...env, fetch: createSafeFetch() };
    const error = await fail('generateText', { prompt: 'hi' }, openai, guarded);
    expect(error.code).toBe('E_BLOCKED_DESTINATION');
    expect(error.retryable).toBe(false);
    expect(fake.requests).toHaveLength(0);
    const allowed = { ...env, fetch: createSafeFetch({ allowHosts: ['127.0.0.1'] }) };
    fake.reply('ok');
    const out = (await runAction(
      llmConnector,
      'generateText',
      { prompt: 'hi' },
      { env: allowed, credential: openai },
    )) as {
      text: string;
    };
    expect(out.text).toBe('ok');
  });

  it('doc.md has one section per action', async () => {
    const doc = await readFile(llmConnector.docPath, 'utf8');
    expect(docSections(doc)).toEqual(llmConnector.actions.map((action) => action.key));
  });
});
