import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinConnectors } from '../connectors/index.ts';
import { importOpenApi, loadAllConnectors, saveImportedConnector } from '../connectors/openapi/index.ts';
import { createSqlClient } from '../db/client.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { createHashingEmbedder } from './hashing-embedder.ts';
import { searchDocs } from './index.ts';
import { syncDocsInBackground } from './sync-in-background.ts';

let db: TestDatabase;

function recordingLog() {
  const entries: { level: 'info' | 'warn'; fields: object; message: string }[] = [];
  return {
    entries,
    info: (fields: object, message: string) => entries.push({ level: 'info', fields, message }),
    warn: (fields: object, message: string) => entries.push({ level: 'warn', fields, message }),
  };
}

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 2 });
});
afterAll(async () => {
  await db?.drop();
});

describe('syncDocsInBackground', () => {
  it('returns at once, then indexes built-in docs and stored OpenAPI imports (not twice)', async () => {
    const spec = JSON.parse(
      await readFile(new URL('../connectors/openapi/fixtures/petstore3.json', import.meta.url), 'utf8'),
    );
    const imported = importOpenApi(spec, { name: 'petstore', baseUrl: 'http://127.0.0.1:9' });
    if (!imported.ok) throw new Error('petstore fixture did not import');
    await saveImportedConnector(db.sql, imported.value.stored);
    const log = recordingLog();
    const connectors = await loadAllConnectors(db.sql);
    const embedder = createHashingEmbedder();
    const pending = syncDocsInBackground(db.sql, connectors, log, { embedder });
    expect(log.entries).toEqual([]); // nothing ran synchronously
    const result = await pending;
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.builtin.added).toBeGreaterThan(50);
    expect(result.imported.added).toBeGreaterThan(10);
    const [twice] = await db.sql`
      select count(*)::int as n from doc_chunks where source_id like 'connector:petstore:%'`;
    expect(twice?.n).toBe(0);
    expect((await searchDocs(db.sql, 'post a message in a slack channel', { embedder }))[0]?.id).toBe(
      'slack.postMessage',
    );
    expect(
      (await searchDocs(db.sql, 'find a pet in the pet store by its id', { embedder })).map((hit) => hit.id),
    ).toContain('petstore.getPetById');

    const again = await syncDocsInBackground(db.sql, connectors, log, { embedder });
    expect(again).toMatchObject({ ok: true, builtin: { added: 0, updated: 0, removed: 0 } });
    expect(builtinConnectors.length).toBeLessThan(connectors.length);
  });

  it('never rejects: a failure is logged once as a warning', async () => {
    const closed = createSqlClient(db.url, { max: 1 });
    await closed.end();
    const log = recordingLog();
    const result = await syncDocsInBackground(closed, builtinConnectors, log, {
      embedder: createHashingEmbedder(),
    });
    expect(result.ok).toBe(false);
    expect(log.entries.filter((entry) => entry.level === 'warn')).toHaveLength(1);
  });
});
