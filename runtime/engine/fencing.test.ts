import { afterAll, beforeAll, describe, it } from 'vitest';
import { httpConnector } from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { runFencingScenario } from './testing/fencing-scenario.ts';
import { spawnWorker, type WorkerChild } from './testing/spawn-worker.ts';

// The fast representative of the chaos suite (worker.chaos.test.ts runs the same scenario with a 10 s lease).

const secretKey = Buffer.alloc(32, 6).toString('base64');
let db: TestDatabase;
let engine: EngineServices;
const children: WorkerChild[] = [];

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 10 });
  engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    {
      env: { VMESH_SECRET_KEY: secretKey, VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' },
      connectors: [httpConnector],
    },
  );
});
afterAll(async () => {
  for (const { child, exited } of children) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await exited;
    }
  }
  await db.drop();
});

describe('fencing', () => {
  it('a worker frozen past its lease (SIGSTOP, then SIGCONT) cannot record its late result', async () => {
    await runFencingScenario({
      db,
      engine,
      leaseMs: 3_000,
      spawn: async (leaseMs) => {
        const spawned = await spawnWorker({
          DATABASE_URL: db.url,
          VMESH_SECRET_KEY: secretKey,
          VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1',
          CHAOS_LEASE_MS: String(leaseMs),
        });
        children.push(spawned);
        return spawned;
      },
    });
  }, 60_000);
});
