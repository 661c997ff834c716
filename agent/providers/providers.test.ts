import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ScriptedModelServer, startScriptedModelServer } from '../testing/scripted-model-server.ts';
import { createAnthropicProvider } from './anthropic-provider.ts';
import { createModelProvider } from './create-model-provider.ts';
import { ModelError } from './model-error.ts';
import type { ModelEvent, ModelProvider, ToolSpec } from './model-provider.ts';
import { createOpenAIProvider } from './openai-provider.ts';

const tools: ToolSpec[] = [
  {
    name: 'search_docs',
    description: 'Search the connector docs.',
    inputSchema: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
  },
];

async function collect(provider: ModelProvider, text = 'hello'): Promise<ModelEvent[]> {
  const events: ModelEvent[] = [];
  for await (const event of provider.streamTurn({
    system: 'You are a test.',
    messages: [{ role: 'user', content: text }],
    tools,
  })) {
    events.push(event);
  }
  return events;
}

const noWait = { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 };

describe.each(['anthropic', 'openai'] as const)(
  '%s provider against the scripted server (real SDK)',
  (kind) => {
    let server: ScriptedModelServer;
    let provider: ModelProvider;
    beforeAll(async () => {
      server = await startScriptedModelServer({ requireApiKey: 'test-key-123456' });
      provider =
        kind === 'anthropic'
          ? createAnthropicProvider({
              model: 'claude-test',
              apiKey: 'test-key-123456',
              baseURL: server.anthropicBaseUrl,
              retry: noWait,
            })
          : createOpenAIProvider({
              model: 'gpt-test',
              apiKey: 'test-key-123456',
              baseURL: server.openaiBaseUrl,
              retry: noWait,
            });
    });
    afterAll(() => server.close());

    it('streams text deltas, tool calls with streamed arguments, usage and the stop reason', async () => {
      server.setScript([
        {
          text: 'Let me look that up for you.',
          toolCalls: [{ name: 'search_docs', input: { query: 'slack post', k: 3 } }],
        },
      ]);
      const events = await collect(provider);
      const text = events.flatMap((e) => (e.type === 'text_delta' ? [e.text] : [])).join('');
      expect(text).toBe('Let me look that up for you.');
      expect(events.filter((e) => e.type === 'text_delta').length).toBeGreaterThan(1);
      const calls = events.flatMap((e) => (e.type === 'tool_call' ? [e.call] : []));
      expect(calls).toHaveLength(1);
      expect(calls[0]?.name).toBe('search_docs');
      expect(calls[0]?.input).toEqual({ query: 'slack post', k: 3 });
      expect(events.at(-1)).toEqual({ type: 'stop', reason: 'tool_use' });
      const usage = events.find((e) => e.type === 'usage');
      expect(usage?.type === 'usage' && usage.usage.inputTokens).toBeGreaterThan(0);
      const recorded = server.requests.at(-1);
      expect(recorded?.normalized.system).toContain('You are a test.');
      expect(recorded?.normalized.toolNames).toEqual(['search_docs']);
    });

    it('marks the system prompt and tools for prompt caching (anthropic)', async () => {
      if (kind !== 'anthropic') return;
      server.setScript([{ text: 'ok' }]);
      await collect(provider);
      const body = JSON.parse(server.requests.at(-1)?.rawBody ?? '{}') as {
        system: { cache_control?: unknown }[];
        tools: { cache_control?: unknown }[];
      };
      expect(body.system[0]?.cache_control).toEqual({ type: 'ephemeral' });
      expect(body.tools.at(-1)?.cache_control).toEqual({ type: 'ephemeral' });
    });

    it('retries a 429 after Retry-After, once per budget, then answers', async () => {
      server.setScript([{ error: { status: 429, retryAfter: '0' } }, { text: 'after the wait' }]);
      const before = server.requests.length;
      const events = await collect(provider);
      expect(events.flatMap((e) => (e.type === 'text_delta' ? [e.text] : [])).join('')).toBe(
        'after the wait',
      );
      expect(server.requests.length - before).toBe(2);
    });

    it('gives up after the retry budget with a rate-limit ModelError (no SDK retries on top)', async () => {
      server.setScript([
        { error: { status: 429, retryAfter: '0' } },
        { error: { status: 429, retryAfter: '0' } },
        { error: { status: 429, retryAfter: '0' } },
        { text: 'never reached' },
      ]);
      const before = server.requests.length;
      await expect(collect(provider)).rejects.toMatchObject({ code: 'E_MODEL_RATE_LIMITED' });
      expect(server.requests.length - before).toBe(3);
    });

    it('honours Retry-After (one wait per retry) and retries a 503 too', async () => {
      const waits: number[] = [];
      const recording = {
        maxAttempts: 3,
        baseDelayMs: 10,
        maxDelayMs: 60_000,
        sleep: async (ms: number) => void waits.push(ms),
      };
      const patient =
        kind === 'anthropic'
          ? createAnthropicProvider({
              model: 'm',
              apiKey: 'test-key-123456',
              baseURL: server.anthropicBaseUrl,
              retry: recording,
            })
          : createOpenAIProvider({
              model: 'm',
              apiKey: 'test-key-123456',
              baseURL: server.openaiBaseUrl,
              retry: recording,
            });
      server.setScript([
        { error: { status: 429, retryAfter: '2' } },
        { error: { status: 503 } },
        { text: 'finally' },
      ]);
      const events = await collect(patient);
      expect(events.flatMap((e) => (e.type === 'text_delta' ? [e.text] : [])).join('')).toBe('finally');
      expect(waits).toEqual([2_000, 20]);
    });

    it('reports a rejected key as E_MODEL_AUTH without retrying', async () => {
      const bad =
        kind === 'anthropic'
          ? createAnthropicProvider({
              model: 'm',
              apiKey: 'wrong-key',
              baseURL: server.anthropicBaseUrl,
              retry: noWait,
            })
          : createOpenAIProvider({
              model: 'm',
              apiKey: 'wrong-key',
              baseURL: server.openaiBaseUrl,
              retry: noWait,
            });
      await expect(collect(bad)).rejects.toMatchObject({ code: 'E_MODEL_AUTH' });
    });
  },
);

describe('createModelProvider', () => {
  it('parses VMESH_MODEL and reports bad specs clearly', () => {
    const anthropic = createModelProvider('anthropic:claude-x', { env: {} });
    expect(anthropic.ok && anthropic.value.id).toBe('anthropic:claude-x');
    const openai = createModelProvider('openai:gpt-x', { env: {} });
    expect(openai.ok && openai.value.id).toBe('openai:gpt-x');
    const bad = createModelProvider('mistral:x', { env: {} });
    expect(!bad.ok && bad.error.message).toContain('unknown provider "mistral"');
  });

  it('an OpenAI-compatible server via OPENAI_BASE_URL needs no key', async () => {
    const server = await startScriptedModelServer({ script: [{ text: 'local model here' }] });
    try {
      const result = createModelProvider('openai:llama3', { env: { OPENAI_BASE_URL: server.openaiBaseUrl } });
      if (!result.ok) throw result.error;
      const events = await collect(result.value);
      expect(events.flatMap((e) => (e.type === 'text_delta' ? [e.text] : [])).join('')).toBe(
        'local model here',
      );
      expect(server.requests[0]?.normalized.model).toBe('llama3');
    } finally {
      await server.close();
    }
  });

  it('a missing key is a clear ModelError on the first turn, not a crash at start', async () => {
    const result = createModelProvider('anthropic:claude-x', { env: {} });
    if (!result.ok) throw result.error;
    const error = await collect(result.value).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).code).toBe('E_MODEL_KEY_MISSING');
    expect((error as ModelError).message).toContain('ANTHROPIC_API_KEY');
  });
});
