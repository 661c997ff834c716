import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinConnectors } from '../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { createCatalog } from '../runtime/workflow/catalog.ts';
import { createDocIndex } from './doc-index.ts';
import { evaluateRetrieval, loadLabelledSet } from './evaluate.ts';
import { createHashingEmbedder } from './hashing-embedder.ts';
import { collectDocSources } from './index.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

describe('retrieval quality on evals/retrieval/labelled.jsonl (offline embedder)', () => {
  it('covers every action, trigger and core node, and reaches recall@5 >= 0.85', async () => {
    const examples = await loadLabelledSet();
    expect(examples.length).toBeGreaterThanOrEqual(80);
    const catalog = createCatalog(builtinConnectors);
    const labelled = new Set(examples.flatMap((example) => example.expected));
    for (const entry of catalog.actions()) expect(labelled, entry.uses).toContain(entry.uses);
    for (const entry of catalog.triggers()) expect(labelled, entry.type).toContain(entry.type);

    const index = createDocIndex({ db: db.sql, embedder: createHashingEmbedder() });
    await index.sync(await collectDocSources({ connectors: builtinConnectors, catalog }));
    const scores = await evaluateRetrieval(index, examples);
    expect(scores.misses.length, JSON.stringify(scores.misses, null, 1)).toBeLessThanOrEqual(
      examples.length * 0.15,
    );
    expect(scores.recallAt5).toBeGreaterThanOrEqual(0.85);
  });
});
