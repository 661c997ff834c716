import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinConnectors } from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { triggerSync } from '../triggers/trigger-kinds.ts';
import { createWorkflowService } from './workflow-service.ts';

describe('workflow service: create and activate together', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  const scheduled = {
    schemaVersion: 1,
    name: 'Every morning',
    trigger: { type: 'schedule', cron: '0 9 * * *', timezone: 'Europe/Paris' },
    nodes: [{ id: 'hello', uses: 'core.transform', with: { value: 'hi' } }],
    edges: [],
  };

  it('stores the workflow active with its schedule tick planned, in one call', async () => {
    const service = createWorkflowService(db.sql, builtinConnectors, {
      onTriggerChange: triggerSync(builtinConnectors),
    });
    const created = await service.create(scheduled, {}, { activate: true });
    const [row] = await db.sql`select active from workflows where id = ${created.id}`;
    expect(row?.active).toBe(true);
    const jobs = await db.sql`select key from graphile_worker.jobs where key = ${`schedule:${created.id}`}`;
    expect(jobs).toHaveLength(1);
  });

  it('leaves nothing behind when the document is invalid', async () => {
    const service = createWorkflowService(db.sql, builtinConnectors, {
      onTriggerChange: triggerSync(builtinConnectors),
    });
    const before = await db.sql`select count(*)::int as n from workflows`;
    await expect(service.create({ ...scheduled, nodes: [] }, {}, { activate: true })).rejects.toThrow();
    const after = await db.sql`select count(*)::int as n from workflows`;
    expect(after[0]?.n).toBe(before[0]?.n);
  });
});
