import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../app/server.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { startRun } from '../engine/engine.ts';
import { payloadConnector } from '../engine/testing/payload-connector.ts';
import { eventually } from '../engine/testing/spawn-worker.ts';
import type { EngineWorker } from '../engine/worker.ts';
import { createEngineServices, type EngineServices } from '../services.ts';

// Cancelling a run while its workers are creating its sub-runs (a foreach of core.subworkflow): the cancel and
// the step commits lock the same rows, and must do so in one order (else Postgres picks a deadlock victim,
// which was the cancel: HTTP 500).

const token = 'cancel-token-0123456789abcdef';
const auth = { authorization: `Bearer ${token}` };
const ROUNDS = 6;
const ITEMS = 40;
let db: TestDatabase;
let engine: EngineServices;
let workers: EngineWorker[] = [];
let app: FastifyInstance;
let parentId = '';

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 20 });
  engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    { env: { VMESH_SECRET_KEY: Buffer.alloc(32, 5).toString('base64') }, connectors: [payloadConnector] },
  );
  app = createHttpServer({
    database: { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    startedAt: Date.now(),
    version: 'test',
    env: {},
    config: { host: '127.0.0.1', apiToken: token, publicUrl: 'http://localhost' },
  });
  engine.registerHttp(app, { publicUrl: 'http://127.0.0.1:3000' });
  const child = await engine.workflows.create({
    schemaVersion: 1,
    name: 'cancel child',
    trigger: { type: 'manual' },
    nodes: [
      { id: 'start', uses: 'core.transform', with: { value: 1 } },
      { id: 'hold', uses: 'payload.slow', with: { ms: 20_000 } },
    ],
    edges: [{ from: 'start', to: 'hold' }],
  });
  // A sub-workflow must be active to run.
  await engine.workflows.activate(child.id);
  const parent = await engine.workflows.create({
    schemaVersion: 1,
    name: 'cancel parent',
    trigger: { type: 'manual' },
    nodes: [
      {
        id: 'each',
        uses: 'core.foreach',
        with: { items: Array.from({ length: ITEMS }, (_, i) => i), concurrency: ITEMS },
        do: {
          nodes: [
            { id: 'sub', uses: 'core.subworkflow', with: { workflow: child.id, input: { i: '{{ item }}' } } },
          ],
          edges: [],
        },
      },
    ],
    edges: [],
  });
  parentId = parent.id;
  workers = await Promise.all([0, 1].map(() => engine.startWorker({ concurrency: 8, leaseMs: 30_000 })));
});
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  await app?.close();
  await db?.drop();
});

describe('cancel while sub-runs are being created', () => {
  it(`never fails (${ROUNDS} rounds), and the run and all its sub-runs end cancelled`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { runId } = await startRun(db.sql, parentId, {});
      // Cancel once the first sub-runs exist, while the others are still being created.
      await eventually(
        async () => {
          const [row] = await db.sql`select count(*)::int as n from runs where parent_run_id = ${runId}`;
          return (row?.n ?? 0) >= 2 + round * 3;
        },
        10_000,
        'the first sub-runs',
      );
      const response = await app.inject({ method: 'POST', url: `/api/runs/${runId}/cancel`, headers: auth });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toMatchObject({ status: 'cancelled' });
      await eventually(
        async () => {
          const rows = await db.sql`
            select count(*)::int as n from runs
            where (id = ${runId} or parent_run_id = ${runId}) and status in ('queued', 'running', 'waiting')`;
          return rows[0]?.n === 0;
        },
        10_000,
        'every run of the tree to end',
      );
      const statuses = await db.sql`
        select status, count(*)::int as n from runs where id = ${runId} or parent_run_id = ${runId} group by status`;
      expect(statuses.map((row) => row.status)).toEqual(['cancelled']);
    }
  });
});
