import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { startRun } from '../runtime/engine/engine.ts';
import { payloadConnector } from '../runtime/engine/testing/payload-connector.ts';
import type { EngineWorker } from '../runtime/engine/worker.ts';
import { createEngineServices, type EngineServices } from '../runtime/services.ts';
import { waitForRun } from '../runtime/store/run-store.ts';
import { createRunsPort } from './runtime-ports.ts';

// The agent's run reader (get_run, self-healing) on a run whose step outputs are large: it reads their sizes,
// not the outputs, so neither the process nor a prompt gets megabytes per step.

let db: TestDatabase;
let engine: EngineServices;
let worker: EngineWorker;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 6 });
  engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    { env: { VMESH_SECRET_KEY: Buffer.alloc(32, 6).toString('base64') }, connectors: [payloadConnector] },
  );
  worker = await engine.startWorker({ concurrency: 2 });
});
afterAll(async () => {
  await worker?.stop();
  await db?.drop();
});

describe('runs port', () => {
  it('gives large step outputs as { truncated, bytes } and small ones whole', async () => {
    const { id } = await engine.workflows.create({
      schemaVersion: 1,
      name: 'large outputs',
      trigger: { type: 'manual' },
      nodes: [
        { id: 'big', uses: 'payload.large', with: { bytes: 900 * 1024 } },
        { id: 'small', uses: 'payload.large', with: { bytes: 10 } },
      ],
      edges: [{ from: 'big', to: 'small' }],
    });
    const { runId } = await startRun(db.sql, id, {});
    expect((await waitForRun(db.sql, runId, { timeoutMs: 15_000 })).status).toBe('succeeded');
    const run = await createRunsPort(db.sql).get(runId);
    const big = run?.steps.find((step) => step.nodeId === 'big');
    const small = run?.steps.find((step) => step.nodeId === 'small');
    expect(big?.output).toMatchObject({ truncated: true });
    expect((big?.output as { bytes?: number } | undefined)?.bytes).toBeGreaterThan(900 * 1024);
    expect(small?.output).toEqual({ text: 'x'.repeat(10) });
  });
});
