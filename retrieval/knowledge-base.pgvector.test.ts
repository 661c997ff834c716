import { readdir, readFile } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHashingEmbedder } from './hashing-embedder.ts';
import { createKnowledgeBaseStore } from './knowledge-base.ts';
import { applyKnowledgeBaseSchema } from './pglite-schema.ts';
import { pgliteQueryRunner } from './query-runner.ts';

// The knowledge base on real pgvector (PGlite in process): the HNSW path and the exact path on the same rows.

const DOCS_DIR = new URL('./__fixtures__/kb-docs/', import.meta.url);
let pg: PGlite;

beforeAll(async () => {
  pg = await PGlite.create({ extensions: { vector } });
  await applyKnowledgeBaseSchema(pg);
}, 60_000);
afterAll(async () => {
  await pg?.close();
});

async function docs() {
  const names = (await readdir(DOCS_DIR)).sort();
  return Promise.all(
    names.map(async (name) => ({
      id: `docs/${name}`,
      text: await readFile(new URL(name, DOCS_DIR), 'utf8'),
    })),
  );
}

describe('knowledge base on pgvector', () => {
  it('writes vectors with an HNSW index, and both scans find the right doc first', async () => {
    const runner = pgliteQueryRunner(pg);
    const store = createKnowledgeBaseStore({ db: runner, embedder: createHashingEmbedder() });
    expect(await store.mode()).toBe('pgvector');
    await store.upsert('default', 'docs', await docs());
    const [index] = await runner.query<{ indexdef: string }>(
      "select indexdef from pg_indexes where indexname = 'kb_chunks_embedding_hnsw_512'",
    );
    expect(index?.indexdef).toMatch(/USING hnsw .*vector_cosine_ops/);
    const [missing] = await runner.query<{ n: number }>(
      'select count(*)::int as n from kb_chunks where embedding_vec is null',
    );
    expect(missing?.n).toBe(0);

    expect(await store.vectorScan('default', 'docs')).toBe('exact');
    for (const vectorScan of ['hnsw', 'exact'] as const) {
      const hits = await store.search('default', 'docs', 'how do I rotate an API key?', { vectorScan });
      expect(hits[0]?.id, vectorScan).toBe('docs/api-keys.md');
      const refund = await store.search('default', 'docs', 'get my money back for an invoice', {
        vectorScan,
      });
      expect(refund[0]?.id, vectorScan).toBe('docs/billing.md');
    }
    const viaHnsw = createKnowledgeBaseStore({
      db: runner,
      embedder: createHashingEmbedder(),
      exactScanMaxBytes: 0,
    });
    expect(await viaHnsw.vectorScan('default', 'docs')).toBe('hnsw');

    // The HNSW list and the exact list agree on a corpus this small.
    const query = await store.embedder.embedQuery('webhook signature');
    const exact = await store.vectorCandidates('default', 'docs', query, 5, 'exact');
    const approximate = await store.vectorCandidates('default', 'docs', query, 5, 'hnsw');
    expect(approximate).toEqual(exact);
  });

  it('replaces and deletes on the pgvector path, and backfills vectors of rows written without pgvector', async () => {
    const runner = pgliteQueryRunner(pg);
    const store = createKnowledgeBaseStore({ db: runner, embedder: createHashingEmbedder() });
    await store.upsert('default', 'notes', [{ id: 'a', text: 'The office closes at noon on Fridays.' }]);
    expect(
      await store.upsert('default', 'notes', [{ id: 'a', text: 'Parking is behind the building.' }]),
    ).toEqual({
      chunks: 1,
      replaced: 1,
    });
    const hits = await store.search('default', 'notes', 'where to park', { vectorScan: 'hnsw' });
    expect(hits).toEqual([{ id: 'a', text: 'Parking is behind the building.', score: expect.any(Number) }]);
    expect(await store.remove('default', 'notes', 'a')).toBe(true);
    expect(await store.search('default', 'notes', 'where to park', { vectorScan: 'hnsw' })).toEqual([]);

    await store.upsert('default', 'notes', [{ id: 'b', text: 'Lunch is served at one.' }]);
    await runner.query("update kb_chunks set embedding_vec = null where doc_id = 'b'");
    const fresh = createKnowledgeBaseStore({ db: runner, embedder: createHashingEmbedder() });
    expect(await fresh.mode()).toBe('pgvector');
    const [row] = await runner.query<{ same: boolean }>(
      "select embedding_vec is not null as same from kb_chunks where doc_id = 'b'",
    );
    expect(row?.same).toBe(true);
    expect((await fresh.search('default', 'notes', 'when is lunch', { vectorScan: 'hnsw' }))[0]?.id).toBe(
      'b',
    );
  });
});
