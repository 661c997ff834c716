import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit, entryHash, verifyAuditChain } from '../access/index.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import type { EngineWorker } from './engine/worker.ts';
import { AUDIT_PRUNE_TASK, createEngineServices } from './services.ts';

// Retention through the real worker: the engine registers the hourly cron job, and the job prunes entries older
// than VMESH_AUDIT_RETENTION_DAYS while the chain stays verifiable.

let db: TestDatabase;
let worker: EngineWorker | undefined;
const env = { VMESH_SECRET_KEY: Buffer.alloc(32, 4).toString('base64'), VMESH_AUDIT_RETENTION_DAYS: '30' };
const database = () => ({ sql: db.sql, url: db.url, kind: 'external' as const, close: async () => {} });

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await worker?.stop();
  await db.drop();
});

/** An entry as audit() writes it, but dated `daysAgo` days back (what a year of history looks like). */
async function oldEntry(daysAgo: number, subjectId: string): Promise<void> {
  await db.sql.begin(async (tx) => {
    const [head] = await tx`select head_hash from audit_chain for update`;
    const [row] = await tx`select nextval('audit_log_id_seq')::text as id,
      to_char((now() - make_interval(days => ${daysAgo})) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at`;
    const entry = {
      id: String(row?.id),
      at: String(row?.at),
      workspaceId: 'default',
      actor: 'system',
      actorId: null,
      identity: null,
      via: 'system',
      action: 'run.started',
      subjectType: 'run',
      subjectId,
      beforeHash: null,
      afterHash: null,
      details: {},
    };
    const hash = entryHash(String(head?.headHash), entry);
    await tx`insert into audit_log (id, at, actor, via, action, subject_type, subject_id, prev_hash, hash)
      values (${entry.id}, ${entry.at}::text::timestamptz, 'system', 'system', 'run.started', 'run', ${subjectId},
        ${String(head?.headHash)}, ${hash})`;
    await tx`update audit_chain set head_id = ${entry.id}, head_hash = ${hash}`;
  });
}

describe('audit retention', () => {
  it('refuses a retention that is not a whole number of days', async () => {
    await expect(
      createEngineServices(database(), { env: { ...env, VMESH_AUDIT_RETENTION_DAYS: '-1' }, connectors: [] }),
    ).rejects.toThrow(/VMESH_AUDIT_RETENTION_DAYS/);
  });

  it('the worker registers the cron job, and the job prunes old entries, keeping the chain verifiable', async () => {
    await oldEntry(90, 'run_ancient');
    await oldEntry(40, 'run_old');
    await oldEntry(5, 'run_recent');
    await audit(db.sql, { action: 'run.started', subjectType: 'run', subjectId: 'run_now' });
    expect(await verifyAuditChain(db.sql)).toMatchObject({ ok: true, entries: 4 });

    const engine = await createEngineServices(database(), { env, connectors: [] });
    worker = await engine.startWorker({ concurrency: 1 });
    const [cron] = await db.sql`
      select identifier from graphile_worker._private_known_crontabs where identifier = ${AUDIT_PRUNE_TASK}`;
    expect(cron?.identifier).toBe(AUDIT_PRUNE_TASK);

    // What the cron enqueues at its slot, enqueued now.
    await db.sql`select graphile_worker.add_job(${AUDIT_PRUNE_TASK}, '{}'::json)`;
    const deadline = Date.now() + 15_000;
    let left: string[] = [];
    while (Date.now() < deadline) {
      left = (await db.sql`select subject_id from audit_log order by id`).map((row) => String(row.subjectId));
      if (left.includes('log')) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(left).toEqual(['run_recent', 'run_now', 'log']);
    const [pruned] = await db.sql`select details from audit_log where action = 'audit.pruned'`;
    expect(pruned?.details).toMatchObject({ removed: 2, retentionDays: 30 });
    expect(await verifyAuditChain(db.sql)).toMatchObject({ ok: true, entries: 3 });
  });
});
