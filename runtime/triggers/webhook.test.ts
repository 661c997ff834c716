import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { createWorkflowService, type WorkflowService } from '../store/workflow-service.ts';
import { triggerSync } from './trigger-kinds.ts';
import { registerWebhookRoute } from './webhook.ts';

let db: TestDatabase;
let app: FastifyInstance;
let service: WorkflowService;

const hookDoc = (version: number) => ({
  schemaVersion: 1,
  name: 'cached-hook',
  trigger: { type: 'webhook' },
  nodes: [{ id: `v${version}`, uses: 'core.transform', with: { value: version } }],
  edges: [],
});

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 6 });
  service = createWorkflowService(db.sql, [], { onTriggerChange: triggerSync([]) });
  app = Fastify();
  registerWebhookRoute(app, { sql: db.sql, connectors: [] });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await db.drop();
});

describe('webhook workflow cache', () => {
  it('never starts a run of a deactivated workflow or an old version, even when the row was changed elsewhere', async () => {
    const { id } = await service.create(hookDoc(1));
    await service.activate(id);
    const [row] = await db.sql`select hook_secret from workflows where id = ${id}`;
    const hook = () =>
      app.inject({
        method: 'POST',
        url: `/hooks/${id}`,
        headers: { 'content-type': 'application/json', 'x-vmesh-secret': String(row?.hookSecret) },
        payload: '{}',
      });
    const runsOf = async () =>
      (await db.sql`select count(*)::int as n from runs where workflow_id = ${id}`)[0]?.n as number;

    expect((await hook()).statusCode).toBe(202); // the cache is warm now
    await service.deactivate(id); // in-process: invalidated at once
    expect((await hook()).statusCode).toBe(409);
    await service.activate(id);
    expect((await hook()).statusCode).toBe(202);
    expect(await runsOf()).toBe(2);

    // Another process deactivates (no invalidation here): the inserting statement re-checks the row.
    await db.sql`update workflows set active = false where id = ${id}`;
    expect((await hook()).statusCode).toBe(409);
    expect(await runsOf()).toBe(2);

    // Another process stores version 2: the run uses it, not the cached version 1.
    await db.sql`update workflows set active = true where id = ${id}`;
    await db.sql`
      insert into workflow_versions (workflow_id, version, document, content_hash)
      values (${id}, 2, ${db.sql.json(hookDoc(2))}, 'test-v2')`;
    await db.sql`update workflows set current_version = 2 where id = ${id}`;
    const response = await hook();
    expect(response.statusCode).toBe(202);
    const { runId } = response.json() as { runId: string };
    const [run] = await db.sql`select version from runs where id = ${runId}`;
    expect(run?.version).toBe(2);
    const starts = await db.sql`select node_id from steps where run_id = ${runId}`;
    expect(starts.map((step) => step.nodeId)).toEqual(['v2']);
  });
});
