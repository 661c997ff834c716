import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { chatFixtureConnector } from './__fixtures__/fixture-connector.ts';
import { connectorDocSources } from './connector-doc-sources.ts';
import { coreDocSources } from './core-doc-sources.ts';
import { createDocIndex } from './doc-index.ts';
import type { DocSource } from './doc-source.ts';
import { createHashingEmbedder } from './hashing-embedder.ts';

let db: TestDatabase;
let sources: DocSource[];
const messages: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  sources = [...(await coreDocSources()), ...(await connectorDocSources([chatFixtureConnector]))];
});
afterAll(async () => {
  await db?.drop();
});

describe('doc index on the embedded server (exact cosine, no pgvector)', () => {
  it('indexes, then re-indexes only what changed, and removes what is gone', async () => {
    const index = createDocIndex({
      db: db.sql,
      embedder: createHashingEmbedder(),
      log: (m) => messages.push(m),
    });
    expect(await index.mode()).toBe('exact');
    const first = await index.sync(sources);
    expect(first).toMatchObject({ added: sources.length, updated: 0, removed: 0, unchanged: 0 });
    expect(first.chunks).toBeGreaterThanOrEqual(sources.length);

    expect(await index.sync(sources)).toMatchObject({
      added: 0,
      updated: 0,
      removed: 0,
      unchanged: sources.length,
    });

    const [changed, , ...rest] = sources;
    if (!changed) throw new Error('no sources');
    const edited = [{ ...changed, text: `${changed.text}\nMore words about retries.` }, ...rest];
    expect(await index.sync(edited)).toMatchObject({
      added: 0,
      updated: 1,
      removed: 1,
      unchanged: rest.length,
    });
    const [row] =
      await db.sql`select count(*)::int as n from doc_chunks where source_id = ${sources[1]?.sourceId ?? ''}`;
    expect(row?.n).toBe(0);
    await index.sync(sources);
  });

  it('finds actions, triggers and core nodes by natural wording, one hit per documented id', async () => {
    const index = createDocIndex({ db: db.sql, embedder: createHashingEmbedder() });
    const hits = await index.search('tell the team in the chat channel', { k: 5 });
    expect(hits[0]?.id).toBe('chatfix.postMessage');
    expect(hits[0]).toMatchObject({ kind: 'action' });
    expect(hits[0]?.snippet.length).toBeGreaterThan(10);
    expect(new Set(hits.map((hit) => hit.id)).size).toBe(hits.length);
    expect(hits.length).toBe(5);
    for (let i = 1; i < hits.length; i++)
      expect(hits[i - 1]?.score ?? 0).toBeGreaterThanOrEqual(hits[i]?.score ?? 0);

    expect((await index.search('put a thumbs up emoji on the message'))[0]?.id).toBe('chatfix.addReaction');
    expect((await index.search('loop over every row in the list'))[0]?.id).toBe('core.foreach');
    expect((await index.search('run it every weekday at 9am'))[0]).toMatchObject({
      id: 'schedule',
      kind: 'trigger',
    });
    expect(
      (await index.search('start when somebody writes in a channel', { kinds: ['trigger'] }))[0]?.id,
    ).toBe('chatfix.messagePosted');
    expect(await index.search('   ')).toEqual([]);
  });

  it('re-embeds everything when the embedding model changes, and searches with the new one', async () => {
    const small = createDocIndex({ db: db.sql, embedder: createHashingEmbedder({ dims: 128 }) });
    expect(await small.sync(sources)).toMatchObject({ added: 0, updated: sources.length, unchanged: 0 });
    const rows = await db.sql`select distinct model, dims from doc_chunks`;
    expect(rows).toEqual([{ model: 'hashing-v1-128', dims: 128 }]);
    expect((await small.search('delay the next step by an hour'))[0]?.id).toBe('core.delay');
  });

  it('upserts and removes a group of sources without touching the rest', async () => {
    const index = createDocIndex({ db: db.sql, embedder: createHashingEmbedder({ dims: 128 }) });
    const extra: DocSource = {
      sourceId: 'openapi:petstore:getPetById',
      docId: 'petstore.getPetById',
      kind: 'action',
      title: 'Petstore: Find pet by ID',
      text: 'Returns a single pet from the pet store.',
    };
    expect(await index.upsert([extra])).toMatchObject({ added: 1, removed: 0 });
    expect((await index.search('look up a pet in the pet store'))[0]?.id).toBe('petstore.getPetById');
    // A scoped sync leaves the imported source alone.
    expect(
      await index.sync(
        sources.filter((s) => s.sourceId.startsWith('core:')),
        { scope: 'core:' },
      ),
    ).toMatchObject({
      removed: 0,
    });
    expect(await index.remove('openapi:petstore:')).toBe(1);
    expect((await index.search('pet store pet'))[0]?.id).not.toBe('petstore.getPetById');
  });
});
