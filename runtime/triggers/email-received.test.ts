import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Dovecot,
  dovecotSkipReason,
  rawMessage,
  startDovecot,
} from '../../connectors/email/testing/dovecot.ts';
import {
  createCredentialStore,
  credentialTypesOf,
  emailConnector,
  parseSecretKey,
} from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import type { EngineWorker } from '../engine/worker.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { waitForRun } from '../store/run-store.ts';
import { getPollStatus } from './poll-state.ts';

// email.received through the real worker: a stored imap credential, an active workflow, a real IMAP server
// (dovecot), mail delivered with IMAP APPEND. One run per new matching message; none for what was there before.

const skip = dovecotSkipReason();
if (skip) console.warn(`SKIPPED email.received worker tests: ${skip}`);

let dovecot: Dovecot;
let db: TestDatabase;
let engine: EngineServices;
let worker: EngineWorker;
const WRONG_PASSWORD = 'Not-The-Pa55word-canary';
const SECRET_KEY = Buffer.alloc(32, 9).toString('base64');

beforeAll(async () => {
  if (skip) return;
  dovecot = await startDovecot();
  db = await createTestDatabase({ poolSize: 8 });
  engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    {
      env: { VMESH_SECRET_KEY: SECRET_KEY, VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' },
      connectors: [emailConnector],
    },
  );
  // Stored as `vmesh credentials set NAME --type imap` stores them: checked against the imap schema.
  const credentials = createCredentialStore({
    sql: db.sql,
    key: parseSecretKey(SECRET_KEY),
    types: credentialTypesOf([emailConnector]),
  });
  await credentials.set('inbox', 'imap', dovecot.credential());
  await credentials.set('wrong', 'imap', dovecot.credential({ pass: WRONG_PASSWORD }));
  worker = await engine.startWorker({ concurrency: 4 });
});
afterAll(async () => {
  await worker?.stop();
  await db?.drop();
  await dovecot?.close();
});

const runsOf = async (workflowId: string) =>
  (
    await db.sql`select id, trigger_type, trigger from runs where workflow_id = ${workflowId} order by created_at`
  ).map((row) => ({ id: String(row.id), triggerType: String(row.triggerType), trigger: row.trigger }));

const workflow = (credential: string, mailbox: string) => ({
  schemaVersion: 1 as const,
  name: `mail to ${mailbox}`,
  trigger: {
    type: 'email.received',
    credential,
    with: { mailbox, intervalSeconds: 1, subjectContains: 'ticket' },
  },
  nodes: [
    {
      id: 'seen',
      uses: 'core.transform',
      with: { value: '{{ trigger.from[0].address }}: {{ trigger.subject }} / {{ trigger.text }}' },
    },
  ],
  edges: [],
});

describe.skipIf(Boolean(skip))('email.received through the worker (dovecot)', () => {
  it('starts one run per new matching message, none for mail there before activation', async () => {
    await dovecot.withClient(async (client) => {
      await client.mailboxCreate('Support');
    });
    await dovecot.append(rawMessage({ subject: 'old ticket', text: 'there before' }), { mailbox: 'Support' });
    const before = dovecot.sessionsEnded();
    const { id } = await engine.workflows.create(workflow('inbox', 'Support'), {}, { activate: true });
    // The first poll only notes what is there; once its session has ended, new mail is new to the trigger.
    await expect.poll(() => dovecot.sessionsEnded(), { timeout: 20_000 }).toBeGreaterThanOrEqual(before + 1);
    expect(await runsOf(id)).toEqual([]);

    const uid = await dovecot.append(
      rawMessage({ from: 'Ben <ben@example.com>', subject: 'New ticket: login loop', text: 'It loops.' }),
      { mailbox: 'Support' },
    );
    await dovecot.append(rawMessage({ subject: 'Lunch?' }), { mailbox: 'Support' });

    await expect.poll(async () => (await runsOf(id)).length, { timeout: 20_000 }).toBe(1);
    const [run] = await runsOf(id);
    expect(run?.triggerType).toBe('email.received');
    expect(run?.trigger).toMatchObject({
      uid,
      mailbox: 'Support',
      from: [{ name: 'Ben', address: 'ben@example.com' }],
      subject: 'New ticket: login loop',
      text: 'It loops.\r\n',
      attachments: [],
    });
    const view = await waitForRun(db.sql, run?.id ?? '', { timeoutMs: 30_000 });
    expect(view.steps[0]?.output).toBe('ben@example.com: New ticket: login loop / It loops.\r\n');

    // Later polls see the same messages again: still one run.
    const seen = dovecot.sessionsEnded();
    await expect.poll(() => dovecot.sessionsEnded(), { timeout: 20_000 }).toBeGreaterThanOrEqual(seen + 2);
    expect(await runsOf(id)).toHaveLength(1);
    await engine.workflows.deactivate(id);
  });

  it('a wrong password fails the poll with the login refusal, without the password; trigger.stalled after 5 intervals', async () => {
    await dovecot.withClient(async (client) => {
      await client.mailboxCreate('Locked');
    });
    const { id } = await engine.workflows.create(workflow('wrong', 'Locked'), {}, { activate: true });
    await expect
      .poll(async () => (await getPollStatus(db.sql, id))?.lastError, { timeout: 20_000 })
      .toMatchObject({ code: 'E_IMAP_AUTH', message: expect.stringContaining('refused the login of "ana"') });
    // The poll keeps trying with backoff (1 s interval, then 2 s, 4 s…): 5 intervals without a success is a stall.
    const stalled = async () =>
      (await db.sql`select type, details from trigger_events where workflow_id = ${id} order by id`).map(
        (row) => ({
          type: row.type,
          details: row.details,
        }),
      );
    await expect.poll(stalled, { timeout: 30_000 }).toEqual([
      {
        type: 'trigger.stalled',
        details: expect.objectContaining({
          triggerType: 'email.received',
          intervalMs: 1_000,
          error: expect.objectContaining({ code: 'E_IMAP_AUTH' }),
        }),
      },
    ]);
    const status = await getPollStatus(db.sql, id);
    expect(status).toMatchObject({ stalled: true, consecutiveFailures: expect.any(Number) });
    expect(JSON.stringify(status)).not.toContain(WRONG_PASSWORD);
    expect(JSON.stringify(await stalled())).not.toContain(WRONG_PASSWORD);
    await dovecot.append(rawMessage({ subject: 'ticket nobody reads' }), { mailbox: 'Locked' });
    expect(await runsOf(id)).toEqual([]);
    await engine.workflows.deactivate(id);
  });
});
