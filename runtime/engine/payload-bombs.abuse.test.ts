import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { createLogger } from '../../lib/logger.ts';
import { waitForRun } from '../store/run-store.ts';
import { createWorkflowService, type WorkflowService } from '../store/workflow-service.ts';
import { triggerSync } from '../triggers/trigger-kinds.ts';
import { startRun } from './engine.ts';
import type { NodeRunnerDeps } from './node-runner.ts';
import { payloadConnector } from './testing/payload-connector.ts';
import { type EngineWorker, startEngineWorker } from './worker.ts';

// Step outputs that cannot be stored (too deep for Postgres, not JSON at all): the step's transaction must roll
// back as a whole, and the step fail cleanly — never a run that "succeeded" past a step stuck in `running`.

let db: TestDatabase;
let service: WorkflowService;
let worker: EngineWorker;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 10 });
  service = createWorkflowService(db.sql, [payloadConnector], { onTriggerChange: triggerSync([]) });
  const logger = createLogger({ level: 'silent' });
  const deps: NodeRunnerDeps = {
    sql: db.sql,
    connectors: [payloadConnector],
    connectorEnv: { baseUrls: {}, fetch, logger },
    logger,
  };
  worker = await startEngineWorker({ deps, connectionString: db.url, concurrency: 4, pollIntervalMs: 100 });
});
afterAll(async () => {
  await worker.stop();
  await db.drop();
});

async function runBomb(name: string, bomb: { uses: string; with: Record<string, unknown> }) {
  const { id } = await service.create({
    schemaVersion: 1,
    name,
    trigger: { type: 'manual' },
    nodes: [
      { id: 'bomb', ...bomb, retry: { maxAttempts: 1 } },
      { id: 'after', uses: 'core.transform', with: { value: 'ran' } },
    ],
    edges: [{ from: 'bomb', to: 'after' }],
  });
  const { runId } = await startRun(db.sql, id, {});
  const view = await waitForRun(db.sql, runId, { timeoutMs: 15_000 });
  return { runId, view };
}

describe('payload bombs: outputs that cannot be stored', () => {
  for (const [label, bomb] of [
    ['a 10,000-deep nested object', { uses: 'payload.deep', with: { depth: 10_000 } }],
    ['a BigInt', { uses: 'payload.bigint', with: {} }],
    ['a circular value', { uses: 'payload.circular', with: {} }],
  ] as const) {
    it(`${label}: the run fails at the step, nothing after it runs`, async () => {
      const { runId, view } = await runBomb(label, bomb);
      expect(view.status).toBe('failed');
      const bombStep = view.steps.find((step) => step.id === 'bomb');
      expect(bombStep?.status).toBe('failed');
      expect(bombStep?.error).toMatchObject({ code: 'E_OUTPUT_UNSTORABLE', retryable: false });
      expect(view.steps.find((step) => step.id === 'after')).toBeUndefined();
      const succeeded = await db.sql`
        select count(*)::int as n from run_events where run_id = ${runId} and type = 'run.succeeded'`;
      expect(succeeded[0]?.n).toBe(0);
    });
  }
});
