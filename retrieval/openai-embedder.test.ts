import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbedder } from './create-embedder.ts';
import { type EmbeddingsFake, startEmbeddingsFake } from './fake-embeddings-server.ts';
import { createOpenAiEmbedder } from './openai-embedder.ts';

let fake: EmbeddingsFake;
beforeAll(async () => {
  fake = await startEmbeddingsFake();
});
afterAll(async () => {
  await fake?.close();
});

describe('OpenAI embedder (official SDK against a local fake /v1/embeddings)', () => {
  it('embeds documents in batches and queries, with text-embedding-3-small and the API key', async () => {
    const embedder = createOpenAiEmbedder({ apiKey: 'sk-test-key-0000', baseURL: fake.url, batchSize: 2 });
    expect(embedder).toMatchObject({ model: 'openai:text-embedding-3-small', dims: 1536 });
    const vectors = await embedder.embedDocuments(['one', 'two', 'three']);
    expect(vectors).toHaveLength(3);
    expect(vectors[0]).toHaveLength(1536);
    expect(await embedder.embedQuery('one')).toEqual(vectors[0]?.map((value) => Math.fround(value)));
    const seen = fake.requests.slice(-3);
    expect(seen.map((r) => r.inputs)).toEqual([['one', 'two'], ['three'], ['one']]);
    expect(seen.every((r) => r.model === 'text-embedding-3-small')).toBe(true);
    expect(seen[0]?.authorization).toBe('Bearer sk-test-key-0000');
  });

  it('retries a 429 and honours a requested dimension', async () => {
    const embedder = createOpenAiEmbedder({ apiKey: 'sk-test-key-0000', baseURL: fake.url, dims: 256 });
    fake.failNext(1);
    const vector = await embedder.embedQuery('hello');
    expect(vector).toHaveLength(256);
    expect(embedder.model).toBe('openai:text-embedding-3-small@256');
  });

  it('is chosen from the environment only when OPENAI_API_KEY is set (OPENAI_BASE_URL honoured)', async () => {
    expect(createEmbedder({}).model).toBe('hashing-v1-512');
    const chosen = createEmbedder({ OPENAI_API_KEY: 'sk-test-key-0000', OPENAI_BASE_URL: fake.url });
    expect(chosen.model).toBe('openai:text-embedding-3-small');
    const before = fake.requests.length;
    await chosen.embedQuery('ping');
    expect(fake.requests.length).toBe(before + 1);
    expect(createEmbedder({ OPENAI_API_KEY: 'x', VMESH_EMBEDDINGS: 'hashing' }).model).toBe('hashing-v1-512');
  });
});
