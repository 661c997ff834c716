import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { createLogger } from '../../lib/logger.ts';
import { registerSecret } from '../../lib/redact.ts';
import { waitForRun } from '../store/run-store.ts';
import { createWorkflowService, type WorkflowService } from '../store/workflow-service.ts';
import { triggerSync } from '../triggers/trigger-kinds.ts';
import { startRun } from './engine.ts';
import type { NodeRunnerDeps } from './node-runner.ts';
import { type EngineWorker, startEngineWorker } from './worker.ts';

// Every node kind's output is redacted where it is checked and serialised (checkOutput), not only connector
// steps': a core step that passes on a known secret stores and hands on only the redacted form.

const SECRET = 'known-secret-value-4f9a2c';
let db: TestDatabase;
let service: WorkflowService;
let worker: EngineWorker;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 10 });
  service = createWorkflowService(db.sql, [], { onTriggerChange: triggerSync([]) });
  const logger = createLogger({ level: 'silent' });
  const deps: NodeRunnerDeps = {
    sql: db.sql,
    connectors: [],
    connectorEnv: { baseUrls: {}, fetch, logger },
    logger,
  };
  worker = await startEngineWorker({ deps, connectionString: db.url, concurrency: 2, pollIntervalMs: 100 });
  registerSecret(SECRET);
});
afterAll(async () => {
  await worker.stop();
  await db.drop();
});

describe('core step outputs are redacted before they are recorded', () => {
  it('a transform that copies a known secret stores no trace of it, nor does the step after it', async () => {
    const { id } = await service.create({
      schemaVersion: 1,
      name: 'echo a secret',
      trigger: { type: 'manual' },
      nodes: [
        { id: 'copy', uses: 'core.transform', with: { value: { token: '{{ trigger.token }}' } } },
        { id: 'after', uses: 'core.transform', with: { value: '{{ steps.copy.output }}' } },
      ],
      edges: [{ from: 'copy', to: 'after' }],
    });
    const { runId } = await startRun(db.sql, id, { token: SECRET });
    expect((await waitForRun(db.sql, runId, { timeoutMs: 15_000 })).status).toBe('succeeded');
    const steps = await db.sql`select node_id, output from steps where run_id = ${runId} order by node_id`;
    expect(steps).toHaveLength(2);
    expect(JSON.stringify(steps)).not.toContain(SECRET);
    const [run] = await db.sql`select output from runs where id = ${runId}`;
    expect(JSON.stringify(run?.output)).not.toContain(SECRET);
  });
});
