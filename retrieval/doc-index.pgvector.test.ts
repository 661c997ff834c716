import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatFixtureConnector } from './__fixtures__/fixture-connector.ts';
import { connectorDocSources } from './connector-doc-sources.ts';
import { coreDocSources } from './core-doc-sources.ts';
import { createDocIndex } from './doc-index.ts';
import { createHashingEmbedder } from './hashing-embedder.ts';
import { applyRetrievalSchema } from './pglite-schema.ts';
import { pgliteQueryRunner } from './query-runner.ts';

let pg: PGlite;

beforeAll(async () => {
  pg = await PGlite.create({ extensions: { vector } });
  await applyRetrievalSchema(pg);
}, 60_000);
afterAll(async () => {
  await pg?.close();
});

describe('doc index on real pgvector (PGlite in process)', () => {
  it('adds the vector column and an HNSW cosine index, and searches through it', async () => {
    const runner = pgliteQueryRunner(pg);
    const index = createDocIndex({ db: runner, embedder: createHashingEmbedder() });
    expect(await index.mode()).toBe('pgvector');
    const sources = [...(await coreDocSources()), ...(await connectorDocSources([chatFixtureConnector]))];
    expect(await index.sync(sources)).toMatchObject({ added: sources.length });
    expect(await index.sync(sources)).toMatchObject({ unchanged: sources.length });

    const indexes = await runner.query<{ indexdef: string }>(
      "select indexdef from pg_indexes where indexname = 'doc_chunks_embedding_hnsw_512'",
    );
    expect(indexes[0]?.indexdef).toMatch(/USING hnsw .*vector_cosine_ops/);
    const [missing] = await runner.query<{ n: number }>(
      'select count(*)::int as n from doc_chunks where embedding_vec is null',
    );
    expect(missing?.n).toBe(0);

    // The HNSW index serves the search query shape (ordered by distance, no sort). Without stats a corpus this
    // small would rather sort a btree scan, so sorting and sequential scans are priced out here.
    await pg.exec('set enable_seqscan = off');
    await pg.exec('set enable_sort = off');
    const plan = await runner.query<{ 'QUERY PLAN': string }>(
      `explain select id from doc_chunks where dims = 512 and model = 'hashing-v1-512'
       order by embedding_vec::vector(512) <=> array_fill(0.1::real, array[512])::vector(512) limit 40`,
    );
    expect(plan.map((row) => row['QUERY PLAN']).join('\n')).toContain('doc_chunks_embedding_hnsw_512');
    await pg.exec('reset enable_seqscan');
    await pg.exec('reset enable_sort');

    // A corpus this small is ranked exactly in process even with pgvector; HNSW ranks once it is big (here:
    // forced with a zero budget) — and finds the same docs on it.
    expect(await index.vectorScan()).toBe('in-process');
    const viaHnsw = createDocIndex({ db: runner, embedder: createHashingEmbedder(), exactScanMaxBytes: 0 });
    expect(await viaHnsw.vectorScan()).toBe('hnsw');
    expect((await viaHnsw.search('tell the team in the chat channel'))[0]?.id).toBe('chatfix.postMessage');

    const hits = await index.search('tell the team in the chat channel');
    expect(hits[0]).toMatchObject({ id: 'chatfix.postMessage', kind: 'action' });
    expect((await index.search('ask a manager to sign off before continuing'))[0]?.id).toBe('core.approval');
    expect((await index.search('new message in a channel', { kinds: ['trigger'] }))[0]?.id).toBe(
      'chatfix.messagePosted',
    );
  });
});
