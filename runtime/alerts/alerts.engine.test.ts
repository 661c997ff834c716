import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCredentialStore,
  credentialTypesOf,
  httpConnector,
  parseSecretKey,
} from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { logger } from '../../lib/index.ts';
import { startRun } from '../engine/engine.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { markNeedsReconnect } from '../store/credential-events.ts';
import { waitForRun } from '../store/run-store.ts';
import { createAlertRule } from './alert-rule-store.ts';
import { createAlertsTask } from './alerts-task.ts';
import { createAlertDeliverer } from './deliver-alert.ts';
import { ALERTS_CRONTAB, ALERTS_TASK, type AlertNotice, evaluateAlerts } from './evaluate-alerts.ts';

// Each alert kind on the real engine: runs through the worker, the alert task queued as the cron queues it, and a
// local webhook receiver as the destination. "No success for N hours" uses backdated rows instead of waiting.

const PUBLIC_URL = 'https://vmesh.example.test';
let db: TestDatabase;
let engine: EngineServices;
let worker: Awaited<ReturnType<EngineServices['startWorker']>>;
let receiver: Server;
let receiverUrl = '';
const received: AlertNotice[] = [];
let stopped = false;

const codeWorkflow = (name: string, code: string) => ({
  schemaVersion: 1,
  name,
  trigger: { type: 'manual' },
  nodes: [
    { id: 'fetch', uses: 'core.code', retry: { maxAttempts: 1 }, with: { code, input: '{{ trigger }}' } },
  ],
  edges: [],
});

async function run(workflowId: string, input: unknown): Promise<string> {
  const { runId } = await startRun(db.sql, workflowId, input, { triggerType: 'manual' });
  await waitForRun(db.sql, runId, { timeoutMs: 60_000 });
  return runId;
}

/** One tick of the real task through the worker; resolves when its job is done. */
async function tick(): Promise<void> {
  const [job] = await db.sql`select (graphile_worker.add_job(${ALERTS_TASK}, '{}'::json)).id`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const [left] = await db.sql`select 1 from graphile_worker._private_jobs where id = ${job?.id}`;
    if (!left) return;
    if (Date.now() > deadline) throw new Error('the alert tick did not run');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const webhook = () => ({ type: 'webhook' as const, url: receiverUrl });
const noticesFor = (ruleId: string) => received.filter((notice) => notice.ruleId === ruleId);

beforeAll(async () => {
  db = await createTestDatabase();
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as AlertNotice);
      response.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    {
      env: { VMESH_SECRET_KEY: Buffer.alloc(32, 9).toString('base64'), VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' },
      connectors: [httpConnector],
    },
  );
  worker = await engine.startWorker({
    concurrency: 2,
    tasks: createAlertsTask(engine.deps, { publicUrl: PUBLIC_URL, chat: {}, logger }),
    crontab: ALERTS_CRONTAB,
  });
}, 120_000);

afterAll(async () => {
  if (!stopped) await worker?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
  await db?.drop();
});

describe('alert kinds', () => {
  it('output shape: a field the step always had goes missing, then comes back', async () => {
    const created = await engine.workflows.create(
      codeWorkflow(
        'CRM export',
        'return input.drop ? { customer: { name: "x" }, total: 1 } : { customer: { name: "x", email: "secret@example.com" }, total: 1, lines: [{ sku: "a" }] };',
      ),
      {},
      { activate: true },
    );
    const { rule } = await createAlertRule(
      db.sql,
      {
        name: 'CRM shape',
        workflowId: created.id,
        condition: { kind: 'output_shape' },
        destination: webhook(),
        cooldownMinutes: 60,
        enabled: true,
      },
      null,
    );
    for (let i = 0; i < 3; i++) await run(created.id, {});
    await tick();
    expect(noticesFor(rule.id)).toHaveLength(0);
    const changed = await run(created.id, { drop: true });
    await tick();
    const [fired] = noticesFor(rule.id);
    expect(fired?.type).toBe('fired');
    expect(fired?.message).toContain('`customer.email`');
    expect(fired?.message).toContain('`lines[]`');
    expect(fired?.message).not.toContain('`lines[].sku`');
    expect(fired?.link).toBe(`${PUBLIC_URL}/#/runs/${changed}`);
    // Field paths only: no value of any output reached the alert or the shape record.
    expect(JSON.stringify(fired)).not.toContain('secret@example.com');
    const [shape] = await db.sql`select present, missing from step_shapes where workflow_id = ${created.id}`;
    expect(JSON.stringify(shape)).not.toContain('secret@example.com');
    await run(created.id, { drop: true });
    await tick();
    expect(noticesFor(rule.id)).toHaveLength(1);
    await run(created.id, {});
    await tick();
    expect(noticesFor(rule.id).map((notice) => notice.type)).toEqual(['fired', 'recovered']);
  }, 180_000);

  it('no successful run for N hours (backdated rows), recovered by a success', async () => {
    const created = await engine.workflows.create(
      codeWorkflow('Nightly report', 'return { ok: true };'),
      {},
      {
        activate: true,
      },
    );
    const { rule } = await createAlertRule(
      db.sql,
      {
        name: 'Nightly stopped',
        workflowId: created.id,
        condition: { kind: 'no_success', hours: 2 },
        destination: webhook(),
        cooldownMinutes: 60,
        enabled: true,
      },
      null,
    );
    const old = await run(created.id, {});
    await tick();
    expect(noticesFor(rule.id)).toHaveLength(0);
    await db.sql`update runs set finished_at = now() - interval '3 hours' where id = ${old}`;
    await db.sql`update workflows set updated_at = now() - interval '5 hours' where id = ${created.id}`;
    await db.sql`update alert_rules set created_at = now() - interval '5 hours' where id = ${rule.id}`;
    await tick();
    const [fired] = noticesFor(rule.id);
    expect(fired).toMatchObject({
      type: 'fired',
      kind: 'no_success',
      link: `${PUBLIC_URL}/#/workflows/${created.id}`,
    });
    expect(fired?.message).toContain('no successful run for 2 hours');
    // Re-notified only after the cooldown.
    await tick();
    expect(noticesFor(rule.id)).toHaveLength(1);
    await db.sql`update alert_states set notified_at = now() - interval '61 minutes' where rule_id = ${rule.id}`;
    await tick();
    expect(noticesFor(rule.id).map((notice) => notice.type)).toEqual(['fired', 'renotified']);
    await run(created.id, {});
    await tick();
    expect(noticesFor(rule.id).map((notice) => notice.type)).toEqual(['fired', 'renotified', 'recovered']);
  }, 180_000);

  it('a credential needing reconnect, for the workflows that use it', async () => {
    const store = createCredentialStore({
      sql: db.sql,
      key: parseSecretKey(Buffer.alloc(32, 9).toString('base64')),
      types: credentialTypesOf([httpConnector]),
    });
    await store.set('crm-key', 'bearer', { token: 'crm-token-value' });
    const created = await engine.workflows.create(
      {
        schemaVersion: 1,
        name: 'CRM sync',
        trigger: { type: 'manual' },
        nodes: [
          {
            id: 'call',
            uses: 'http.request',
            credential: 'crm-key',
            with: { method: 'GET', url: 'https://crm.example.test/me' },
          },
        ],
        edges: [],
      },
      {},
      { activate: true },
    );
    const { rule } = await createAlertRule(
      db.sql,
      {
        name: 'Reconnect',
        workflowId: created.id,
        condition: { kind: 'credential_reconnect' },
        destination: webhook(),
        cooldownMinutes: 60,
        enabled: true,
      },
      null,
    );
    await tick();
    expect(noticesFor(rule.id)).toHaveLength(0);
    await markNeedsReconnect(db.sql, 'crm-key', 'invalid_grant: token crm-token-value revoked');
    await tick();
    const [fired] = noticesFor(rule.id);
    expect(fired?.message).toContain('The credential "crm-key" needs reconnecting');
    expect(fired?.message).toContain('"CRM sync"');
    expect(JSON.stringify(fired)).not.toContain('crm-token-value');
    expect(JSON.stringify(fired)).not.toContain('invalid_grant');
    await store.setState('crm-key', 'connected');
    await tick();
    expect(noticesFor(rule.id).map((notice) => notice.type)).toEqual(['fired', 'recovered']);
  }, 180_000);

  it('a stalled poll trigger, as the vmesh_poll_triggers_stalled gauge counts it (global rule)', async () => {
    const created = await engine.workflows.create(
      codeWorkflow('Inbox watcher', 'return {};'),
      {},
      {
        activate: true,
      },
    );
    const { rule } = await createAlertRule(
      db.sql,
      {
        name: 'Any poll stalled',
        workflowId: null,
        condition: { kind: 'poll_stalled' },
        destination: webhook(),
        cooldownMinutes: 60,
        enabled: true,
      },
      null,
    );
    await db.sql`
      insert into poll_states (workflow_id, epoch, trigger_type, consecutive_failures, last_error_code, stalled_at)
      values (${created.id}, 'e1', 'rss.newItem', 7, 'E_CONNECTOR_HTTP', now())`;
    await tick();
    const [fired] = noticesFor(rule.id);
    expect(fired?.message).toContain('The rss.newItem trigger of workflow "Inbox watcher"');
    expect(fired?.workflowIds).toEqual([created.id]);
    await db.sql`update poll_states set stalled_at = null where workflow_id = ${created.id}`;
    await tick();
    expect(noticesFor(rule.id).map((notice) => notice.type)).toEqual(['fired', 'recovered']);
  }, 180_000);

  it('a global output_shape rule reaches every active workflow in turn (bounded per tick)', async () => {
    for (let i = 0; i < 12; i++)
      await engine.workflows.create(codeWorkflow(`Idle ${i}`, 'return {};'), {}, { activate: true });
    const changing = await engine.workflows.create(
      codeWorkflow('Zz changing', 'return input.drop ? { a: 1 } : { a: 1, b: 2 };'),
      {},
      { activate: true },
    );
    const { rule } = await createAlertRule(
      db.sql,
      {
        name: 'Any shape change',
        workflowId: null,
        condition: { kind: 'output_shape' },
        destination: webhook(),
        cooldownMinutes: 60,
        enabled: true,
      },
      null,
    );
    for (let i = 0; i < 3; i++) await run(changing.id, {});
    await run(changing.id, { drop: true });
    const [active] = await db.sql`select count(*)::int as n from workflows where active`;
    expect(Number(active?.n)).toBeGreaterThan(10);
    for (let i = 0; i < 3 && noticesFor(rule.id).length === 0; i++) await tick();
    expect(noticesFor(rule.id).map((notice) => [notice.type, notice.subject])).toEqual([
      ['fired', `step:${changing.id}:fetch`],
    ]);
  }, 180_000);

  it('a webhook at an internal address is refused by the reach guard, and the failure recorded', async () => {
    const guarded = await createEngineServices(
      { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
      { env: { VMESH_SECRET_KEY: Buffer.alloc(32, 9).toString('base64') }, connectors: [] },
    );
    const created = await engine.workflows.create(
      codeWorkflow('Guarded', 'throw new Error("no");'),
      {},
      {
        activate: true,
      },
    );
    await run(created.id, {});
    // This one tick is the test's own, with a deliverer whose fetch has no allow-list: the worker's ticks stop.
    await worker.stop();
    stopped = true;
    await db.sql`update alert_rules set enabled = false`;
    const { rule } = await createAlertRule(
      db.sql,
      {
        name: 'To an internal address',
        workflowId: created.id,
        condition: { kind: 'failure_rate', windowMinutes: 60, threshold: 1, minRuns: 1 },
        destination: { type: 'webhook', url: receiverUrl },
        cooldownMinutes: 60,
        enabled: true,
      },
      null,
    );
    const before = received.length;
    const result = await evaluateAlerts({
      sql: db.sql,
      deliver: createAlertDeliverer(guarded.deps, {}),
      publicUrl: PUBLIC_URL,
    });
    expect(result).toMatchObject({ rules: 1, fired: 1, failed: 1 });
    expect(received.length).toBe(before);
    const [event] =
      await db.sql`select delivered, delivery_error from alert_events where rule_id = ${rule.id}`;
    expect(event?.delivered).toBe(false);
    expect(String(event?.deliveryError)).toMatch(/127\.0\.0\.1|private|internal|loopback/i);
  }, 120_000);
});
