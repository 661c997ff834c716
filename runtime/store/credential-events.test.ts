import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCredentialStore, parseSecretKey } from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import {
  CREDENTIAL_EVENT_TASK,
  getCredentialEvent,
  markNeedsReconnect,
  recordCredentialWait,
  takeCredentialWaits,
} from './credential-events.ts';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  const store = createCredentialStore({
    sql: db.sql,
    key: parseSecretKey(Buffer.alloc(32, 7).toString('base64')),
    types: [],
  });
  await store.set('crm', 'bearer', { token: 'tok-1234567890' });
});
afterAll(async () => {
  await db?.drop();
});

const jobs = () =>
  db.sql`
    select j.key from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
    where t.identifier = ${CREDENTIAL_EVENT_TASK}`;

describe('credential events', () => {
  it('needs_reconnect is an event (with its job) only when the state changes to it', async () => {
    expect(await markNeedsReconnect(db.sql, 'crm', 'invalid_grant: revoked')).toBe(true);
    expect(await markNeedsReconnect(db.sql, 'crm', 'invalid_grant: again')).toBe(false);
    const events = await db.sql`select id, type from credential_events where credential_name = 'crm'`;
    expect(events.map((row) => row.type)).toEqual(['credential.needs_reconnect']);
    const queued = await jobs();
    expect(queued).toHaveLength(1);
    const event = await getCredentialEvent(db.sql, String(events[0]?.id));
    expect(event).toMatchObject({
      type: 'credential.needs_reconnect',
      details: { reason: 'invalid_grant: revoked' },
    });
    const [state] = await db.sql`select state, state_reason from credentials where name = 'crm'`;
    expect(state).toMatchObject({ state: 'needs_reconnect', stateReason: 'invalid_grant: again' });
    expect(await markNeedsReconnect(db.sql, 'missing', 'x')).toBe(false);
  });

  it('a waiting run is handed out once', async () => {
    await recordCredentialWait(db.sql, { runId: 'run_a', credentialName: 'crm', conversationId: 'c1' });
    await recordCredentialWait(db.sql, { runId: 'run_a', credentialName: 'crm', conversationId: 'c1' });
    const [first, second] = await Promise.all([
      takeCredentialWaits(db.sql, 'crm'),
      takeCredentialWaits(db.sql, 'crm'),
    ]);
    expect([...(first ?? []), ...(second ?? [])]).toEqual([{ runId: 'run_a', conversationId: 'c1' }]);
  });

  it('without a job queue (no server or worker ever ran) the event is still recorded', async () => {
    await db.sql`update credentials set state = 'connected' where name = 'crm'`;
    await db.sql`alter function graphile_worker.add_job rename to add_job_away`;
    try {
      expect(await markNeedsReconnect(db.sql, 'crm', 'refused')).toBe(true);
    } finally {
      await db.sql`alter function graphile_worker.add_job_away rename to add_job`;
    }
    const [row] = await db.sql`select count(*)::int as n from credential_events`;
    expect(row?.n).toBe(2);
    expect(await jobs()).toHaveLength(1);
  });
});
