import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { type RunningApp, startApp } from './start.ts';

// The composition root as `npm start` runs it (on a test database): its worker also runs self-healing's task.
let db: TestDatabase;
let app: RunningApp;
const TOKEN = 'start-test-token-0123456789';

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 4 });
  app = await startApp({
    ...process.env,
    DATABASE_URL: db.url,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    VMESH_SECRET_KEY: Buffer.alloc(32, 11).toString('base64'),
    VMESH_API_TOKEN: TOKEN,
  });
}, 60_000);
afterAll(async () => {
  await app?.stop();
  await db?.drop();
});

describe('the app', () => {
  it('a run that fails for good is handed to self-healing by the app worker at once (no polling)', async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${app.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify(body),
      }).then(async (response) => ({ status: response.status, json: (await response.json()) as never }));
    const created = await post('/api/workflows', {
      document: {
        schemaVersion: 1,
        name: 'fails',
        trigger: { type: 'manual' },
        nodes: [
          {
            id: 'boom',
            uses: 'core.code',
            retry: { maxAttempts: 1 },
            with: { code: 'throw new Error("no")' },
          },
        ],
        edges: [],
      },
    });
    expect(created.status).toBe(201);
    const { id } = created.json as { id: string };
    const started = await post(`/api/workflows/${id}/runs`, { input: {} });
    const { runId } = started.json as { runId: string };
    // The self-healing task records every failure it handles in failure_groups (before asking the model).
    const deadline = Date.now() + 15_000;
    for (;;) {
      const [handled] =
        await db.sql`select count(*)::int as n from failure_groups where last_run_id = ${runId}`;
      if (handled?.n === 1) break;
      if (Date.now() > deadline) throw new Error('the failed run never reached self-healing');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const [run] = await db.sql`select status from runs where id = ${runId}`;
    expect(run?.status).toBe('failed');
  });
});
