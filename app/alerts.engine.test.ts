import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, createUser } from '../access/index.ts';
import { testPrincipal } from '../agent/testing/principals.ts';
import {
  type ScriptedModelServer,
  startScriptedModelServer,
} from '../agent/testing/scripted-model-server.ts';
import { type SmtpFake, startSmtpFake } from '../connectors/email/fake-server.ts';
import {
  createCredentialStore,
  credentialTypesOf,
  emailConnector,
  parseSecretKey,
} from '../connectors/index.ts';
import { type SlackFake, startSlackFake } from '../connectors/slack/fake-server.ts';
import { findFreePort } from '../db/index.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { waitForRun } from '../runtime/store/run-store.ts';
import { type RunningApp, startApp } from './start.ts';

// Alerts through the real app: its worker runs failing workflows, the alert task (queued as the cron would) sends
// a failure-rate alert once to the workflow's Slack conversation, a chosen Slack channel, a signed webhook and an
// SMTP mailbox, keeps quiet while it lasts, and says once when it recovers.

const apiToken = `shared-${randomBytes(12).toString('hex')}`;
const auth = { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' };
const secretKey = randomBytes(32).toString('base64');
const THREAD = '1700000001.000001';

let db: TestDatabase;
let model: ScriptedModelServer;
let slack: SlackFake;
let smtp: SmtpFake;
let receiver: Server;
let receiverUrl = '';
let app: RunningApp;
let publicUrl = '';
const hooks: { headers: IncomingHttpHeaders; body: string }[] = [];

async function eventually<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`${app.url}${path}`, {
    method,
    headers: body === undefined ? { authorization: auth.authorization } : auth,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const slackTexts = (channel: string) =>
  slack.calls
    .filter((call) => call.method === 'chat.postMessage' && call.args.channel === channel)
    .map((call) => {
      const blocks = (call.args.blocks ?? []) as { text?: { text?: string } }[];
      return `${String(call.args.text ?? '')}\n${blocks.map((block) => block.text?.text ?? '').join('\n')}`;
    });
const alertsIn = (texts: string[], marker: string) => texts.filter((text) => text.includes(marker));

async function tick(): Promise<void> {
  const before = await eventsCount();
  await db.sql`select graphile_worker.add_job('vmesh_alerts_evaluate', '{}'::json)`;
  await eventually('the alert tick to run', async () => {
    const [row] = await db.sql`
      select count(*)::int as n from graphile_worker._private_jobs j
      join graphile_worker._private_tasks t on t.id = j.task_id where t.identifier = 'vmesh_alerts_evaluate'`;
    return Number(row?.n) === 0;
  });
  void before;
}
const eventsCount = async () => Number((await db.sql`select count(*)::int as n from alert_events`)[0]?.n);

async function runOnce(workflowId: string, fail: boolean): Promise<string> {
  const started = await api('POST', `/api/workflows/${workflowId}/runs`, { input: { fail } });
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  const runId = String(started.body.runId);
  const run = await waitForRun(db.sql, runId, { timeoutMs: 60_000 });
  expect(run.status).toBe(fail ? 'failed' : 'succeeded');
  return runId;
}

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 12 });
  model = await startScriptedModelServer();
  // Self-healing answers each failed run; the model just says so.
  for (let i = 0; i < 40; i++) model.push({ text: 'Noted; this needs a look.' });
  slack = await startSlackFake({
    teamId: 'T1',
    channels: [
      { id: 'C1', name: 'general', isMember: true },
      { id: 'C2', name: 'ops-alerts', isMember: true },
    ],
  });
  smtp = await startSmtpFake({ user: 'alerts', pass: 'smtp-pass' });
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      hooks.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts`;
  const port = await findFreePort();
  publicUrl = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: db.url,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'silent',
    VMESH_PUBLIC_URL: publicUrl,
    VMESH_API_TOKEN: apiToken,
    VMESH_SECRET_KEY: secretKey,
    VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1',
    VMESH_MODEL: 'openai:gpt-test',
    OPENAI_BASE_URL: model.openaiBaseUrl,
    SLACK_BOT_TOKEN: slack.token,
    SLACK_SIGNING_SECRET: 'slack-signing-secret',
    SLACK_API_URL: slack.apiUrl,
  };
  for (const name of ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'SLACK_APP_TOKEN', 'VMESH_NO_WORKER'])
    delete env[name];
  app = await startApp(env);
  const store = createCredentialStore({
    sql: db.sql,
    key: parseSecretKey(secretKey),
    types: credentialTypesOf([emailConnector]),
  });
  await store.set('ops-smtp', 'smtp', {
    host: '127.0.0.1',
    port: smtp.port,
    secure: false,
    user: 'alerts',
    pass: 'smtp-pass',
    from: 'VelocityMesh <alerts@example.com>',
  });
}, 120_000);

afterAll(async () => {
  await app?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
  await smtp?.close();
  await slack?.close();
  await model?.close();
  await db?.drop();
});

describe('alerts through the app', () => {
  it('sends a failure-rate alert once to each destination, then one recovery', async () => {
    const principal = await testPrincipal(db.sql, 'ada', 'owner');
    const conversation = await app.agent.conversationFor(`slack:T1:C1:${THREAD}`, principal);
    const created = await api('POST', '/api/workflows', {
      document: {
        schemaVersion: 1,
        name: 'Invoice sync',
        trigger: { type: 'manual' },
        nodes: [
          {
            id: 'check',
            uses: 'core.code',
            retry: { maxAttempts: 1 },
            with: {
              code: 'if (input.fail) throw new Error("upstream said no"); return { ok: true };',
              input: '{{ trigger }}',
            },
          },
        ],
        edges: [],
      },
      conversationRef: conversation.id,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const workflowId = String(created.body.id);
    await api('POST', `/api/workflows/${workflowId}/activate`, {});

    const condition = { kind: 'failure_rate', windowMinutes: 60, threshold: 0.5, minRuns: 3 };
    const destinations = [
      { type: 'conversation' },
      { type: 'slack', channel: 'C2' },
      { type: 'webhook', url: receiverUrl },
      { type: 'email', to: 'oncall@example.com', credential: 'ops-smtp' },
    ];
    const secrets: string[] = [];
    for (const destination of destinations) {
      const rule = await api('POST', '/api/alerts', {
        name: `Invoice failures (${destination.type})`,
        workflowId,
        condition,
        destination,
      });
      expect(rule.status, JSON.stringify(rule.body)).toBe(201);
      expect(JSON.stringify((rule.body as { rule: unknown }).rule)).not.toContain(String(rule.body.secret));
      secrets.push(String(rule.body.secret));
    }
    const webhookSecret = secrets[2] ?? '';

    const failed = [
      await runOnce(workflowId, true),
      await runOnce(workflowId, true),
      await runOnce(workflowId, true),
    ];
    await tick();

    const fired = await eventually('four fired alerts', async () => {
      const rows = await db.sql`select type, delivered, delivery_error from alert_events order by id`;
      return rows.length >= 4 ? rows : undefined;
    });
    expect(fired.map((row) => [row.type, row.delivered, row.deliveryError])).toEqual(
      Array.from({ length: 4 }, () => ['fired', true, null]),
    );
    // The conversation the workflow came from: its Slack thread, and the stored conversation.
    const inThread = await eventually('the alert in the workflow thread', () => {
      const posts = slack.calls.filter(
        (call) =>
          call.method === 'chat.postMessage' &&
          call.args.channel === 'C1' &&
          call.args.thread_ts === THREAD &&
          String(call.args.text ?? '').includes('Invoice failures (conversation)'),
      );
      return posts.length > 0 ? posts : undefined;
    });
    expect(inThread).toHaveLength(1);
    const evidence = `${publicUrl}/#/runs/${failed[2]}`;
    expect(String(inThread[0]?.args.text)).toContain(evidence);
    expect(String(inThread[0]?.args.text)).not.toContain('upstream said no');
    const [noted] = await db.sql`
      select count(*)::int as n from conversation_messages
      where conversation_id = ${conversation.id} and content::text like ${'%Invoice failures (conversation)%'}`;
    expect(Number(noted?.n)).toBe(1);
    // The chosen channel.
    expect(alertsIn(slackTexts('C2'), 'Invoice failures (slack)')).toHaveLength(1);
    // The webhook: signed with the rule's secret over the timestamp and the body.
    expect(hooks).toHaveLength(1);
    const hook = hooks[0];
    const timestamp = String(hook?.headers['x-vmesh-timestamp']);
    const expected = `sha256=${createHmac('sha256', webhookSecret).update(`${timestamp}.${hook?.body}`).digest('hex')}`;
    expect(hook?.headers['x-vmesh-signature']).toBe(expected);
    const payload = JSON.parse(hook?.body ?? '{}') as Record<string, unknown>;
    expect(payload).toMatchObject({
      type: 'fired',
      kind: 'failure_rate',
      link: evidence,
      workflowIds: [workflowId],
    });
    expect(hook?.body).not.toContain('upstream said no');
    // The mailbox.
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0]?.envelope.to).toEqual(['oncall@example.com']);
    expect(smtp.received[0]?.parsed.subject).toContain('Invoice failures (email)');
    expect(smtp.received[0]?.parsed.text).toContain(evidence);

    // Still failing, inside the cooldown: nothing more is sent.
    await runOnce(workflowId, true);
    await tick();
    expect(await eventsCount()).toBe(4);
    expect(hooks).toHaveLength(1);
    expect(smtp.received).toHaveLength(1);

    // Enough successes bring the rate under the threshold: one recovery each.
    for (let i = 0; i < 5; i++) await runOnce(workflowId, false);
    await tick();
    const recovered = await eventually('four recoveries', async () => {
      const rows = await db.sql`select type, delivered from alert_events where type = 'recovered'`;
      return rows.length >= 4 ? rows : undefined;
    });
    expect(recovered.every((row) => row.delivered === true)).toBe(true);
    await eventually('the recovery in the thread', () =>
      slack.calls.some(
        (call) => call.args.thread_ts === THREAD && String(call.args.text ?? '').includes('✓ Recovered'),
      ),
    );
    expect(alertsIn(slackTexts('C2'), '✓ Recovered')).toHaveLength(1);
    expect(hooks).toHaveLength(2);
    expect(JSON.parse(hooks[1]?.body ?? '{}')).toMatchObject({ type: 'recovered' });
    expect(smtp.received).toHaveLength(2);
    expect(smtp.received[1]?.parsed.subject).toContain('Recovered');
    await tick();
    expect(await eventsCount()).toBe(8);

    const events = await api('GET', `/api/alerts/events?workflowId=${workflowId}`);
    expect(events.status).toBe(200);
    expect((events.body.events as unknown[]).length).toBe(8);
  }, 300_000);

  it('validates rule bodies and scopes them by permission (API)', async () => {
    const created = await api('POST', '/api/workflows', {
      document: {
        schemaVersion: 1,
        name: 'Scoped',
        trigger: { type: 'manual' },
        nodes: [{ id: 'a', uses: 'core.code', with: { code: 'return {};' } }],
        edges: [],
      },
    });
    const workflowId = String(created.body.id);
    const base = {
      name: 'r',
      workflowId,
      condition: { kind: 'poll_stalled' },
      destination: { type: 'conversation' },
    };
    const codeOf = (response: { body: Record<string, unknown> }) =>
      (response.body.error as { code?: string; message?: string } | undefined)?.code;
    const messageOf = (response: { body: Record<string, unknown> }) =>
      String((response.body.error as { message?: string } | undefined)?.message);

    const empty = await api('POST', '/api/alerts', {});
    expect([empty.status, codeOf(empty)]).toEqual([400, 'E_REQUEST']);
    const threshold = await api('POST', '/api/alerts', {
      ...base,
      condition: { kind: 'failure_rate', threshold: 3 },
    });
    expect(threshold.status).toBe(400);
    expect(messageOf(threshold)).toContain('condition.threshold');
    const ftp = await api('POST', '/api/alerts', {
      ...base,
      destination: { type: 'webhook', url: 'ftp://x.example' },
    });
    expect(ftp.status).toBe(400);
    expect(messageOf(ftp)).toContain('destination.url');
    // People cannot point a rule at a conversation of their choosing (only the agent's tool names its own).
    const elsewhere = await api('POST', '/api/alerts', {
      ...base,
      destination: { type: 'conversation', conversationId: 'someone-elses' },
    });
    expect(elsewhere.status).toBe(400);
    const unknownWorkflow = await api('POST', '/api/alerts', { ...base, workflowId: 'wf_missing' });
    expect(unknownWorkflow.status).toBe(404);
    const noEmailCredential = await api('POST', '/api/alerts', {
      ...base,
      destination: { type: 'email', to: 'a@example.com', credential: 'not-stored' },
    });
    expect([noEmailCredential.status, codeOf(noEmailCredential)]).toEqual([400, 'E_ALERT_CREDENTIAL']);
    expect((await api('GET', '/api/alerts/alr_nope')).status).toBe(404);

    const ok = await api('POST', '/api/alerts', base);
    expect(ok.status).toBe(201);
    const ruleId = String((ok.body.rule as { id: string }).id);
    expect((await api('PATCH', `/api/alerts/${ruleId}`, {})).status).toBe(400);
    const patched = await api('PATCH', `/api/alerts/${ruleId}`, { enabled: false, cooldownMinutes: 5 });
    expect(patched.body.rule).toMatchObject({ enabled: false, cooldownMinutes: 5 });

    // A viewer sees the workflow's rules but changes none; global rules are admins'.
    const owner = await testPrincipal(db.sql, 'ada', 'owner');
    const viewer = await createUser(db.sql, { name: 'vic', role: 'viewer' });
    const operator = await createUser(db.sql, { name: 'opal', role: 'operator' });
    const tokenOf = async (userId: string) =>
      (await createToken(db.sql, owner, { userId, name: 'test' })).token;
    const as = (token: string) => async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${app.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const vic = as(await tokenOf(viewer.id));
    const opal = as(await tokenOf(operator.id));
    const global = await api('POST', '/api/alerts', { ...base, workflowId: null });
    expect(global.status).toBe(201);
    const seen = await vic('GET', '/api/alerts');
    expect(seen.status).toBe(200);
    const seenIds = (seen.body.rules as { id: string }[]).map((rule) => rule.id);
    expect(seenIds).toContain(ruleId);
    expect(seenIds).not.toContain(String((global.body.rule as { id: string }).id));
    expect((await vic('POST', '/api/alerts', base)).status).toBe(403);
    expect((await vic('DELETE', `/api/alerts/${ruleId}`)).status).toBe(403);
    // An operator may alert the workflow's conversation, but not send elsewhere nor watch every workflow.
    expect((await opal('POST', '/api/alerts', base)).status).toBe(201);
    expect(
      (
        await opal('POST', '/api/alerts', {
          ...base,
          destination: { type: 'webhook', url: 'https://x.example/h' },
        })
      ).status,
    ).toBe(403);
    expect((await opal('POST', '/api/alerts', { ...base, workflowId: null })).status).toBe(403);
    expect((await api('DELETE', `/api/alerts/${ruleId}`)).body).toEqual({ id: ruleId, deleted: true });

    const openapi = await api('GET', '/api/openapi.json');
    const paths = Object.keys(openapi.body.paths as Record<string, unknown>);
    expect(paths).toEqual(expect.arrayContaining(['/api/alerts', '/api/alerts/{id}', '/api/alerts/events']));
  }, 120_000);
});
