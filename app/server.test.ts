import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { createHttpServer } from './server.ts';

describe('GET /healthz', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('reports the database as reachable', async () => {
    const server = createHttpServer({
      database: { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
      startedAt: Date.now(),
      version: 'test',
    });
    const response = await server.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'ok', database: { ok: true } });
    await server.close();
  });

  it('answers 503 when the database is gone', async () => {
    const { createSqlClient } = await import('../db/client.ts');
    const dead = createSqlClient('postgres://nobody:nothing@127.0.0.1:1/none', { max: 1 });
    const server = createHttpServer({
      database: { sql: dead, url: '', kind: 'external', close: async () => {} },
      startedAt: Date.now(),
      version: 'test',
    });
    const response = await server.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ status: 'degraded', database: { ok: false } });
    await server.close();
    await dead.end();
  });
});
