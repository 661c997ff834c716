import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../app/server.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { startRun } from '../engine/engine.ts';
import { DEFAULT_OUTPUT_LIMITS } from '../engine/output-limits.ts';
import { payloadConnector } from '../engine/testing/payload-connector.ts';
import type { EngineWorker } from '../engine/worker.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { waitForRun } from '../store/run-store.ts';

// Output-size bombs: steps whose outputs are near or over the per-step limit, and runs whose outputs add up past
// the per-run limit, through the real worker and the HTTP API (the run view must stay small).

const token = 'output-size-token-0123456789';
const auth = { authorization: `Bearer ${token}` };
const KIB = 1024;
let db: TestDatabase;
let engine: EngineServices;
let worker: EngineWorker;
let app: FastifyInstance;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 10 });
  engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    { env: { VMESH_SECRET_KEY: Buffer.alloc(32, 3).toString('base64') }, connectors: [payloadConnector] },
  );
  app = createHttpServer({
    database: { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    startedAt: Date.now(),
    version: 'test',
    env: {},
    config: { host: '127.0.0.1', apiToken: token, publicUrl: 'http://localhost' },
  });
  engine.registerHttp(app, { publicUrl: 'http://127.0.0.1:3000' });
  worker = await engine.startWorker({ concurrency: 4 });
});
afterAll(async () => {
  await worker?.stop();
  await app?.close();
  await db?.drop();
});

async function runToEnd(nodes: unknown[], edges: unknown[] = []): Promise<string> {
  const { id } = await engine.workflows.create({
    schemaVersion: 1,
    name: `size ${Math.random()}`,
    trigger: { type: 'manual' },
    nodes,
    edges,
  });
  const { runId } = await startRun(db.sql, id, {});
  await waitForRun(db.sql, runId, { timeoutMs: 15_000 });
  return runId;
}

const chain = (count: number) =>
  Array.from({ length: count - 1 }, (_, i) => ({ from: `s${i}`, to: `s${i + 1}` }));

describe('step output limits', () => {
  it('six steps of 900 KiB: the run succeeds, its view stays small, each output is readable whole', async () => {
    const nodes = Array.from({ length: 6 }, (_, i) => ({
      id: `s${i}`,
      uses: 'payload.large',
      with: { bytes: 900 * KIB },
    }));
    const runId = await runToEnd(nodes, chain(6));
    const response = await app.inject({ method: 'GET', url: `/api/runs/${runId}`, headers: auth });
    expect(response.statusCode).toBe(200);
    // 6 × 900 KiB of step outputs: the page holds only the run's own output (its last step's, at most 1 MiB)
    // and a few KiB more.
    expect(response.body.length).toBeLessThan(900 * KIB + 20 * KIB);
    const view = response.json();
    expect(view.status).toBe('succeeded');
    expect(view.steps).toHaveLength(6);
    expect(view.steps[0]).toMatchObject({
      outputTruncated: true,
      output: { truncated: true, href: `/api/runs/${runId}/steps/s0` },
    });
    const step = await app.inject({ method: 'GET', url: `/api/runs/${runId}/steps/s0`, headers: auth });
    expect(step.statusCode).toBe(200);
    expect(step.json().output.text).toHaveLength(900 * KIB);
    const missing = await app.inject({ method: 'GET', url: `/api/runs/${runId}/steps/nope`, headers: auth });
    expect(missing.statusCode).toBe(404);
  });

  it('the run view pages its steps (stepsLimit, stepsOffset, nextStepsOffset)', async () => {
    const nodes = Array.from({ length: 5 }, (_, i) => ({
      id: `s${i}`,
      uses: 'payload.large',
      with: { bytes: 10 },
    }));
    const runId = await runToEnd(nodes, chain(5));
    const first = (
      await app.inject({ method: 'GET', url: `/api/runs/${runId}?stepsLimit=2`, headers: auth })
    ).json();
    expect(first).toMatchObject({ stepsTotal: 5, nextStepsOffset: 2 });
    expect(first.steps.map((step: { id: string }) => step.id)).toEqual(['s0', 's1']);
    const last = (
      await app.inject({ method: 'GET', url: `/api/runs/${runId}?stepsLimit=2&stepsOffset=4`, headers: auth })
    ).json();
    expect(last).toMatchObject({ stepsTotal: 5, nextStepsOffset: null });
    expect(last.steps.map((step: { id: string }) => step.id)).toEqual(['s4']);
    const tooMany = await app.inject({
      method: 'GET',
      url: `/api/runs/${runId}?stepsLimit=100000`,
      headers: auth,
    });
    expect(tooMany.statusCode).toBe(400);
  });

  const over = DEFAULT_OUTPUT_LIMITS.stepBytes + 100 * KIB;
  for (const [kind, node] of [
    ['a connector action', { uses: 'payload.large', with: { bytes: over } }],
    ['core.code', { uses: 'core.code', with: { code: `return 'x'.repeat(${over});` } }],
    ['core.transform', { uses: 'core.transform', with: { value: `{{ $pad('', ${over}, 'x') }}` } }],
  ] as const) {
    it(`${kind} returning more than the step limit fails with E_OUTPUT_TOO_LARGE; nothing after it runs`, async () => {
      const runId = await runToEnd(
        [
          { id: 'big', ...node },
          { id: 'after', uses: 'core.transform', with: { value: 'ran' } },
        ],
        [{ from: 'big', to: 'after' }],
      );
      const view = (await app.inject({ method: 'GET', url: `/api/runs/${runId}`, headers: auth })).json();
      expect(view.status).toBe('failed');
      expect(view.steps).toHaveLength(1);
      expect(view.steps[0]).toMatchObject({
        id: 'big',
        status: 'failed',
        attempt: 1,
        output: null,
        error: { code: 'E_OUTPUT_TOO_LARGE', retryable: false },
      });
      expect(view.steps[0].error.message).toContain('VMESH_STEP_OUTPUT_MAX_BYTES');
      expect(view.steps[0].error.hint).toMatch(/files/);
      expect(view.error).toMatchObject({ code: 'E_OUTPUT_TOO_LARGE', nodeId: 'big' });
    });
  }

  it('a run whose step outputs add up past the run limit fails at the step that would pass it', async () => {
    const previous = process.env.VMESH_RUN_OUTPUT_MAX_BYTES;
    process.env.VMESH_RUN_OUTPUT_MAX_BYTES = String(3 * 1024 * KIB);
    try {
      const nodes = Array.from({ length: 6 }, (_, i) => ({
        id: `s${i}`,
        uses: 'payload.large',
        with: { bytes: 900 * KIB },
      }));
      const runId = await runToEnd(nodes, chain(6));
      const view = (await app.inject({ method: 'GET', url: `/api/runs/${runId}`, headers: auth })).json();
      expect(view.status).toBe('failed');
      expect(view.steps.map((step: { id: string; status: string }) => `${step.id}:${step.status}`)).toEqual([
        's0:succeeded',
        's1:succeeded',
        's2:succeeded',
        's3:failed',
      ]);
      expect(view.steps[3].error).toMatchObject({ code: 'E_RUN_OUTPUT_TOO_LARGE', retryable: false });
      const [usage] = await db.sql`select bytes from run_output_usage where run_id = ${runId}`;
      expect(Number(usage?.bytes)).toBeLessThanOrEqual(3 * 1024 * KIB);
    } finally {
      if (previous === undefined) delete process.env.VMESH_RUN_OUTPUT_MAX_BYTES;
      else process.env.VMESH_RUN_OUTPUT_MAX_BYTES = previous;
    }
  });
});
