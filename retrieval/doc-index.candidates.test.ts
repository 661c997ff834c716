import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { createDocIndex, type DocIndex } from './doc-index.ts';
import type { DocSource } from './doc-source.ts';
import { createHashingEmbedder } from './hashing-embedder.ts';
import { TEXT_FILTER_BUDGET } from './text-query.ts';

let db: TestDatabase;
let index: DocIndex;

// More chunks share the common words than the full-text filter's budget, so the candidate cap is in play.
const FILLER = TEXT_FILTER_BUDGET + 150;

beforeAll(async () => {
  db = await createTestDatabase();
  index = createDocIndex({ db: db.sql, embedder: createHashingEmbedder() });
  const filler: DocSource[] = Array.from({ length: FILLER }, (_, i) => ({
    sourceId: `filler:${i}`,
    docId: `ledger.quarterlyRevenue${i}`,
    kind: 'action',
    title: `Ledger: quarterly revenue ${i}`,
    text: `Quarterly revenue spreadsheet ${i}. Quarterly revenue totals per region.`,
  }));
  const answers: DocSource[] = [
    {
      sourceId: 'answer:chat',
      docId: 'chat.postMessage',
      kind: 'action',
      title: 'Chat: post message',
      text: 'Posts a message to a chat channel.',
    },
    {
      sourceId: 'answer:archive',
      docId: 'vault.archive',
      kind: 'action',
      title: 'Vault: archive',
      text:
        'Moves finished records into cold storage. Storage classes, retention periods, legal holds, restore ' +
        'requests, encryption at rest, audit trails, region pinning, lifecycle rules, cost reports, access ' +
        'policies and the zyxquartz export format are all described in the vault guide.',
    },
  ];
  await index.sync([...filler, ...answers]);
}, 120_000);
afterAll(async () => {
  await db?.drop();
});

describe('search with the full-text candidate cap', () => {
  it('finds an answer only the vector side can see (misspelt words match no lexeme)', async () => {
    const lists = await index.candidates('messagez for the chanells');
    expect(lists.text).toEqual([]);
    expect(lists.vector[0]).toBe('chat.postMessage');
    expect((await index.search('messagez for the chanells'))[0]?.id).toBe('chat.postMessage');
  });

  it('finds an answer only the full-text side can see (a rare word among many common ones)', async () => {
    const query = 'quarterly revenue spreadsheet in zyxquartz';
    const lists = await index.candidates(query);
    // The vector side is crowded out by the filler that shares three of the four words …
    expect(lists.vector).not.toContain('vault.archive');
    expect(lists.vector.length).toBeGreaterThan(0);
    // … the full-text filter keeps the rare word (document frequency 1), not the common ones.
    expect(lists.text[0]).toBe('vault.archive');
    const hits = await index.search(query, { k: 10 });
    expect(hits.map((hit) => hit.id)).toContain('vault.archive');
  });

  it('notices a write by another client and searches the new content', async () => {
    const other = createDocIndex({ db: db.sql, embedder: createHashingEmbedder() });
    await other.upsert([
      {
        sourceId: 'answer:late',
        docId: 'late.frobnicate',
        kind: 'action',
        title: 'Late: frobnicate',
        text: 'Frobnicates the widget.',
      },
    ]);
    expect((await index.search('frobnicate the widget'))[0]?.id).toBe('late.frobnicate');
    expect(await other.remove('answer:late')).toBe(1);
    expect((await index.search('frobnicate the widget'))[0]?.id).not.toBe('late.frobnicate');
  });
});
