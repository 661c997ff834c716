// npm run bench:load -- --json [--seconds 60] [--rate 50] [--connections 10] [--runs 1000]
// Signed webhooks (timestamped HMAC, one delivery id each) at a fixed rate through the real HTTP server (guards,
// rate limits, hook route) with a worker draining them, all on loopback. Checks that every accepted request has
// exactly one run, reports latency and RSS, then starts 1,000 runs at once and checks that they all drain while
// 300 signed Slack events arrive in 10 s (each must be acknowledged in under 3 s).
// Prints one JSON object on stdout. Database: embedded (default) or DATABASE_URL.
import { loadavg } from 'node:os';
import autocannon from 'autocannon';
import { createHttpServer } from '../../app/server.ts';
import { registerSlack } from '../../bots/slack/register-slack.ts';
import { signSlackRequest } from '../../bots/slack/sign-slack-request.ts';
import { createScriptedConversation } from '../../bots/testing/scripted-conversation.ts';
import { startSlackFake } from '../../connectors/slack/fake-server.ts';
import { createSqlClient } from '../../db/index.ts';
import { startRun } from '../engine/engine.ts';
import { createEngineServices } from '../services.ts';
import { signHookBody } from '../triggers/webhook-verify.ts';
import { openBenchDatabase } from './bench-database.ts';

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index === -1 ? undefined : Number(process.argv[index + 1]);
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} takes a positive number`);
  return value;
}
const json = process.argv.includes('--json');
const seconds = option('seconds', 60);
const rate = option('rate', 50);
const connections = option('connections', 10);
const concurrentRuns = option('runs', 1_000);
const log = (message: string) => {
  if (!json) process.stderr.write(`${message}\n`);
};
const mb = (bytes: number) => Math.round(bytes / 1024 / 102.4) / 10;
const round = (value: number) => Math.round(value * 10) / 10;

const benchDatabase = await openBenchDatabase('load', 200);
const url = benchDatabase.url;
const sql = createSqlClient(url, { max: 20 });
const database = { sql, url, kind: 'external' as const, close: async () => {} };
const env = {
  VMESH_SECRET_KEY: Buffer.alloc(32, 5).toString('base64'),
  // Above the offered rate: this bench measures ingest, not the limiter (http-guards.security.test.ts does).
  VMESH_RATE_LIMIT_HOOKS: String(Math.ceil(rate * 120)),
};
const engine = await createEngineServices(database, { env, connectors: [] });
const app = createHttpServer({ database, startedAt: Date.now(), version: 'bench', env });
engine.registerHttp(app, { publicUrl: 'http://127.0.0.1' });
const base = await app.listen({ host: '127.0.0.1', port: 0 });
const worker = await engine.startWorker({ concurrency: 10 });

const created = await engine.workflows.create({
  schemaVersion: 1,
  name: 'load',
  trigger: { type: 'webhook' },
  nodes: [{ id: 'a', uses: 'core.transform', with: { value: '{{ trigger.body.n }}' } }],
  edges: [],
});
await engine.workflows.activate(created.id);
const [row] = await sql`select hook_secret from workflows where id = ${created.id}`;
const secret = String(row?.hookSecret);

log(`signed webhooks: ${rate}/s for ${seconds} s…`);
global.gc?.();
const rssBefore = process.memoryUsage().rss;
let sequence = 0;
const runIds: string[] = [];
const statuses = new Map<number, number>();
const result = await autocannon({
  url: `${base}/hooks/${created.id}`,
  method: 'POST',
  connections,
  overallRate: rate,
  duration: seconds,
  timeout: 10,
  requests: [
    {
      setupRequest: (request) => {
        sequence += 1;
        const body = JSON.stringify({ n: sequence, pad: 'x'.repeat(200) });
        return {
          ...request,
          body,
          headers: {
            'content-type': 'application/json',
            'x-vmesh-delivery': `load-${process.pid}-${sequence}`,
            ...signHookBody(secret, body),
          },
        };
      },
      onResponse: (status, body) => {
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status === 202) runIds.push(String((JSON.parse(body) as { runId: string }).runId));
      },
    },
  ],
});
const rssAfterLoad = process.memoryUsage().rss;
// Requests the client stopped waiting for may still be in the server: closing it waits for them, so the counts
// below are final.
await app.close();
// A request the client gave up on (autocannon stops at the deadline) still runs its handler after close(); wait
// until no more runs appear, so the counts below are final and consistent with each other.
for (let previous = -1; ; ) {
  const [now] = await sql`select count(*)::int as n from runs where workflow_id = ${created.id}`;
  if (Number(now?.n) === previous) break;
  previous = Number(now?.n);
  await new Promise((r) => setTimeout(r, 500));
}

async function drain(ids: string[], timeoutMs: number): Promise<{ seconds: number; stuck: number }> {
  const started = performance.now();
  for (;;) {
    const [open] = await sql`
      select count(*)::int as n from runs where id = any(${ids}) and status in ('queued', 'running')`;
    const stuck = Number(open?.n);
    if (stuck === 0 || performance.now() - started > timeoutMs) {
      return { seconds: round((performance.now() - started) / 1000), stuck };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
log('draining the webhook runs…');
const allHookRuns = (await sql`select id from runs where workflow_id = ${created.id}`).map((r) =>
  String(r.id),
);
const hookDrain = await drain(allHookRuns, 120_000);
const [rows] = await sql`
  select (select count(*)::int from runs where workflow_id = ${created.id}) as n,
    (select count(*)::int from run_dedupe where workflow_id = ${created.id}) as deliveries`;
const [matched] = await sql`select count(*)::int as n from runs where id = any(${runIds})`;
const [succeeded] = await sql`
  select count(*)::int as n from runs where workflow_id = ${created.id} and status = 'succeeded'`;
const accepted = statuses.get(202) ?? 0;
const answered = [...statuses.values()].reduce((sum, n) => sum + n, 0);

log(`${concurrentRuns} runs at once, and 300 Slack events in 10 s while the worker is busy with them…`);
const slackApi = await startSlackFake({ channels: [{ id: 'C1', name: 'bench', isMember: true }] });
const slackServer = createHttpServer({ database, startedAt: Date.now(), version: 'bench', env });
const slackSecret = 'bench-slack-signing-secret';
await registerSlack(slackServer, {
  conversation: createScriptedConversation(),
  botToken: slackApi.token,
  signingSecret: slackSecret,
  slackApiUrl: slackApi.apiUrl,
});
const slackBase = await slackServer.listen({ host: '127.0.0.1', port: 0 });
async function slackEvent(n: number): Promise<{ status: number; ms: number }> {
  const body = JSON.stringify({
    type: 'event_callback',
    team_id: 'T1',
    api_app_id: 'A1',
    event_id: `EvBench${process.pid}x${n}`,
    event_time: 1,
    event: {
      type: 'app_mention',
      user: 'U1',
      text: `<@UBOT> hello ${n}`,
      ts: `1700000001.${n}`,
      channel: 'C1',
    },
  });
  slackApi.addMessage('C1', { ts: `1700000001.${n}`, user: 'U1', text: `<@UBOT> hello ${n}` });
  const started = performance.now();
  try {
    const response = await fetch(`${slackBase}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signSlackRequest(slackSecret, body) },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    await response.arrayBuffer();
    return { status: response.status, ms: performance.now() - started };
  } catch {
    return { status: 0, ms: performance.now() - started };
  }
}
const manyStarted = performance.now();
const manyStarting = Promise.all(
  Array.from(
    { length: concurrentRuns },
    async (_, n) => (await startRun(sql, created.id, { body: { n } })).runId,
  ),
);
const slackResults: Promise<{ status: number; ms: number }>[] = [];
for (let n = 0; n < 300; n += 1) {
  slackResults.push(slackEvent(n));
  await new Promise((r) => setTimeout(r, 10_000 / 300));
}
const slack = await Promise.all(slackResults);
const many = await manyStarting;
const manyDrain = await drain(many, 300_000);
await slackServer.close();
await slackApi.close();
const slackMs = slack.map((result) => result.ms).sort((a, b) => a - b);
const slackP = (p: number) =>
  Math.round(slackMs[Math.min(slackMs.length - 1, Math.floor(p * slackMs.length))] ?? 0);

const [manyOk] =
  await sql`select count(*)::int as n from runs where id = any(${many}) and status = 'succeeded'`;
const manySeconds = round((performance.now() - manyStarted) / 1000);

await worker.stop();
global.gc?.();
const rssAfter = process.memoryUsage().rss;
await sql.end({ timeout: 5 });
await benchDatabase.stop();

const report = {
  webhooks: {
    seconds,
    offeredRatePerSec: rate,
    connections,
    sent: result.requests.sent,
    accepted,
    statuses: Object.fromEntries(statuses),
    errors: result.errors,
    timeouts: result.timeouts,
    runRows: Number(rows?.n),
    acceptedWithExactlyOneRun: Number(matched?.n) === accepted && new Set(runIds).size === accepted,
    // Requests still in flight when the load stopped: the client dropped them, the server may have committed them.
    unanswered: result.requests.sent - answered,
    runsWithoutResponse: Number(rows?.n) - accepted,
    deliveryIdsRecorded: Number(rows?.deliveries),
    oneRunPerDeliveryId: Number(rows?.deliveries) === Number(rows?.n),
    succeeded: Number(succeeded?.n),
    stuckAfterDrain: hookDrain.stuck,
    drainSeconds: hookDrain.seconds,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    reqPerSec: round(result.requests.average),
  },
  concurrentRuns: {
    runs: concurrentRuns,
    succeeded: Number(manyOk?.n),
    stuck: manyDrain.stuck,
    seconds: manySeconds,
  },
  rssMb: { before: mb(rssBefore), afterLoad: mb(rssAfterLoad), after: mb(rssAfter) },
  loadAverage: loadavg().map((value) => round(value)),
  note: 'server, worker and load generator share one process (RSS covers all three); loopback only',
  slackEvents: {
    sent: slack.length,
    acknowledged200: slack.filter((result) => result.status === 200).length,
    under3s: slack.filter((result) => result.status === 200 && result.ms < 3_000).length,
    ackMs: { p50: slackP(0.5), p99: slackP(0.99), max: Math.round(slackMs.at(-1) ?? 0) },
    note: 'real bolt receiver and signature check; the conversation behind it is the scripted test port',
  },
};
process.stdout.write(`${JSON.stringify(report, null, json ? 0 : 2)}\n`);
const ok =
  report.webhooks.acceptedWithExactlyOneRun &&
  report.webhooks.oneRunPerDeliveryId &&
  report.webhooks.runsWithoutResponse <= report.webhooks.unanswered &&
  report.webhooks.stuckAfterDrain === 0 &&
  manyDrain.stuck === 0 &&
  report.slackEvents.under3s === report.slackEvents.sent;
process.exit(ok ? 0 : 1);
