import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { builtinConnectors } from '../index.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { runAction } from '../testing/run-action.ts';
import { type PetstoreFake, startPetstoreFake } from './fake-server.ts';
import { importOpenApi } from './import-openapi.ts';
import { loadAllConnectors } from './load-all-connectors.ts';
import {
  deleteImportedConnector,
  listImportedConnectors,
  loadImportedConnectors,
  loadImportedOpenApi,
  saveImportedConnector,
} from './store.ts';

let db: TestDatabase;
let fake: PetstoreFake;
let spec: unknown;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 2 });
  fake = await startPetstoreFake();
  spec = JSON.parse(await readFile(new URL('./fixtures/petstore3.json', import.meta.url), 'utf8'));
});
afterAll(async () => {
  await fake.close();
  await db.drop();
});

describe('imported connector store', () => {
  it('persists a spec and loads it back as a working ConnectorDefinition', async () => {
    const imported = importOpenApi(spec, { name: 'petstore', baseUrl: fake.url });
    if (!imported.ok) throw new Error('import failed');
    await saveImportedConnector(db.sql, imported.value.stored);
    const [loaded] = await loadImportedConnectors(db.sql);
    expect(loaded?.id).toBe('petstore');
    expect(loaded?.actions).toHaveLength(19);
    const out = (await runAction(
      loaded!,
      'addPet',
      { body: { name: 'kitty', photoUrls: [] } },
      {
        env: createTestEnvironment(),
      },
    )) as { body: { name: string } };
    expect(out.body.name).toBe('kitty');
    expect(await listImportedConnectors(db.sql)).toEqual([
      { name: 'petstore', baseUrl: fake.url, createdAt: expect.any(Date) },
    ]);
  });

  it('re-importing under the same name replaces the spec', async () => {
    const tiny = {
      openapi: '3.0.3',
      info: { title: 'Petstore lite', version: '1.0.0' },
      servers: [{ url: 'https://pets.example' }],
      paths: {
        '/ping': {
          get: { operationId: 'ping', summary: 'Ping', responses: { '200': { description: 'ok' } } },
        },
      },
    };
    await saveImportedConnector(db.sql, { name: 'petstore', spec: tiny });
    const [loaded] = await loadImportedConnectors(db.sql);
    expect(loaded?.actions.map((action) => action.key)).toEqual(['ping']);
    expect((await listImportedConnectors(db.sql))[0]?.baseUrl).toBeNull();
  });

  it('skips a stored spec that no longer imports and says why', async () => {
    await db.sql`insert into openapi_connectors (name, spec) values ('broken', ${db.sql.json({ openapi: '3.0.0' })})`;
    const { imported, failed } = await loadImportedOpenApi(db.sql);
    expect(imported.map((entry) => entry.connector.id)).toEqual(['petstore']);
    expect(failed.map((entry) => entry.name)).toEqual(['broken']);
    expect(await loadImportedConnectors(db.sql)).toHaveLength(1);
    const all = await loadAllConnectors(db.sql);
    expect(all.map((connector) => connector.id)).toEqual([
      ...builtinConnectors.map((connector) => connector.id),
      'petstore',
    ]);
    expect(await deleteImportedConnector(db.sql, 'broken')).toBe(true);
    expect(await deleteImportedConnector(db.sql, 'broken')).toBe(false);
  });
});
