import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutesOf } from '../access/index.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { type RunningApp, startApp } from './start.ts';

// The composition root as `npm start` runs it: every /api route any part registers is in /api/openapi.json.
let db: TestDatabase;
let app: RunningApp;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 4 });
  app = await startApp({
    ...process.env,
    DATABASE_URL: db.url,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    VMESH_SECRET_KEY: Buffer.alloc(32, 13).toString('base64'),
    VMESH_API_TOKEN: 'openapi-coverage-token-0123456789',
  });
}, 120_000);
afterAll(async () => {
  await app?.stop();
  await db?.drop();
});

describe('/api/openapi.json', () => {
  it('documents every registered /api route, with its method and path parameters', async () => {
    const response = await fetch(`${app.url}/api/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as {
      paths: Record<string, Record<string, { parameters?: { name: string }[] }>>;
    };
    const registered = apiRoutesOf(app.server);
    expect(registered.length).toBeGreaterThan(40);
    const missing = registered
      .map((route) => ({ method: route.method.toLowerCase(), path: route.url.replace(/:(\w+)/g, '{$1}') }))
      .filter((route) => document.paths[route.path]?.[route.method] === undefined)
      .map((route) => `${route.method.toUpperCase()} ${route.path}`);
    expect(missing).toEqual([]);
    for (const route of registered) {
      const path = route.url.replace(/:(\w+)/g, '{$1}');
      const names = [...route.url.matchAll(/:(\w+)/g)].map((match) => match[1]);
      const documented = document.paths[path]?.[route.method.toLowerCase()]?.parameters ?? [];
      expect(documented.map((parameter) => parameter.name)).toEqual(names);
    }
    // The operations of issue 18 are among them.
    expect(document.paths['/api/workflows/{id}']?.patch).toBeDefined();
    expect(document.paths['/api/runs/retry-failed']?.post).toBeDefined();
  });
});
