import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, ensureLocalOwner } from '../access/index.ts';
import { testPrincipal } from '../agent/testing/principals.ts';
import {
  type ScriptedModelServer,
  startScriptedModelServer,
} from '../agent/testing/scripted-model-server.ts';
import { cliEnv, runCli } from '../cli/testing/cli-process.ts';
import { createCredentialStore, llmConnector, parseSecretKey } from '../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { pruneRunData } from '../runtime/store/run-retention.ts';
import { parseExposition, sampleValue } from './metrics/testing/exposition.ts';
import { type RunningApp, startApp } from './start.ts';

// Insights and usage through the app as `npm start` runs it: runs through the real worker (a core.code step that
// burns CPU and sometimes throws, llm.* steps and a core.agent step at the scripted model server), read back from
// GET /api/insights, /metrics, `vmesh insights` as a process, and again after retention pruned the runs' data.

let db: TestDatabase;
let app: RunningApp;
let model: ScriptedModelServer;
const TOKEN = 'insights-test-token-0123456789';
const SECRET_KEY = Buffer.alloc(32, 17).toString('base64');
const PRICE = { input: 3, output: 15 };
/** Busy for ~150 ms of CPU in the sandbox, then fails when asked to. */
const CRUNCH = `const end = Date.now() + 150; let n = 0; while (Date.now() < end) n++;
if (input.fail) throw new Error('bad invoice'); return { n: n > 0 };`;

type Summary = {
  runs: number;
  succeeded: number;
  failed: number;
  failureRate: number | null;
  durationMs: { p50: number | null; p95: number | null };
  runsPerDay: { day: string; succeeded: number; failed: number; cancelled: number; unfinished: number }[];
  failingSteps: { workflowId: string; nodeId: string; failures: number; lastErrorCode: string | null }[];
  compute: { stepWallMs: number; sandboxCpuMs: number };
  llm: {
    calls: number;
    costUsd: number;
    unpricedCalls: number;
    models: {
      source: string;
      model: string;
      calls: number;
      inputTokens: number;
      outputTokens: number;
      costUsd: number | null;
    }[];
  };
};
type Report = { overall: Summary; workflows: (Summary & { workflowId: string; name: string })[] };

const headers = (token = TOKEN) => ({ authorization: `Bearer ${token}` });

async function api(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${app.url}${path}`, {
    method,
    headers: { ...headers(), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  expect(response.ok, `${method} ${path}: ${text}`).toBe(true);
  return JSON.parse(text) as Record<string, unknown>;
}

async function insights(query: string, token = TOKEN): Promise<{ status: number; body: Report }> {
  const response = await fetch(`${app.url}/api/insights${query}`, { headers: headers(token) });
  return { status: response.status, body: (await response.json()) as Report };
}

async function finished(runId: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const [row] = await db.sql`select status from runs where id = ${runId}`;
    if (row && ['succeeded', 'failed'].includes(String(row.status))) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`run ${runId} did not finish`);
}

const samplesOf = (text: string) => parseExposition(text).samples;
const sample = sampleValue;

let invoiceId = '';
let aiId = '';

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 6 });
  model = await startScriptedModelServer();
  app = await startApp({
    ...process.env,
    DATABASE_URL: db.url,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    VMESH_SECRET_KEY: SECRET_KEY,
    VMESH_API_TOKEN: TOKEN,
    VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1',
    VMESH_LLM_PRICES: JSON.stringify({ 'anthropic:claude-test': PRICE }),
  });
  const credentials = createCredentialStore({
    sql: db.sql,
    key: parseSecretKey(SECRET_KEY),
    types: llmConnector.credential ? [llmConnector.credential] : [],
  });
  await credentials.set('claude', 'llm', {
    provider: 'anthropic',
    apiKey: 'sk-ant-test-key',
    baseUrl: model.anthropicBaseUrl,
    model: 'claude-test',
  });
  await credentials.set('local', 'llm', {
    provider: 'openai',
    apiKey: 'sk-local-key',
    baseUrl: model.openaiBaseUrl,
    model: 'local-model',
  });
  // The metrics start counting at the newest event when the server starts: scrape once before any run.
  await fetch(`${app.url}/metrics`, { headers: headers() });

  const invoice = await api('POST', '/api/workflows', {
    scope: 'workspace',
    document: {
      schemaVersion: 1,
      name: 'invoice',
      trigger: { type: 'manual' },
      nodes: [
        {
          id: 'crunch',
          uses: 'core.code',
          retry: { maxAttempts: 1 },
          with: { code: CRUNCH, input: '{{ trigger }}' },
        },
      ],
      edges: [],
    },
  });
  invoiceId = String(invoice.id);
  await api('POST', `/api/workflows/${invoiceId}/activate`);
  for (const fail of [false, false, true, false]) {
    const started = (await api('POST', `/api/workflows/${invoiceId}/runs`, { input: { fail } })) as {
      runId: string;
    };
    await finished(started.runId);
  }

  model.setScript([{ text: 'A summary.' }, { text: 'From the local model.' }, { text: 'Agent done.' }]);
  const ai = await api('POST', '/api/workflows', {
    scope: 'private',
    document: {
      schemaVersion: 1,
      name: 'ai summary',
      trigger: { type: 'manual' },
      nodes: [
        {
          id: 'summarise',
          uses: 'llm.generateText',
          credential: 'claude',
          with: { prompt: 'Summarise this.' },
        },
        { id: 'local', uses: 'llm.generateText', credential: 'local', with: { prompt: 'And you?' } },
        { id: 'agent', uses: 'core.agent', credential: 'claude', with: { prompt: 'Check it.' } },
      ],
      edges: [
        { from: 'summarise', to: 'local' },
        { from: 'local', to: 'agent' },
      ],
    },
  });
  aiId = String(ai.id);
  await api('POST', `/api/workflows/${aiId}/activate`);
  const asked = (await api('POST', `/api/workflows/${aiId}/runs`, { input: {} })) as { runId: string };
  await finished(asked.runId);
}, 180_000);

afterAll(async () => {
  await app?.stop();
  await model?.close();
  await db?.drop();
});

const cost = (tokens: { inputTokens: number; outputTokens: number }) =>
  (tokens.inputTokens * PRICE.input + tokens.outputTokens * PRICE.output) / 1_000_000;

describe('insights', () => {
  it('reports runs per day, failure rate, durations, the failing step and sandbox CPU of a workflow', async () => {
    const { status, body } = await insights(`?workflowId=${invoiceId}&days=7`);
    expect(status).toBe(200);
    const invoice = body.workflows.find((workflow) => workflow.workflowId === invoiceId);
    expect(invoice?.name).toBe('invoice');
    expect(body.overall).toMatchObject({ runs: 4, succeeded: 3, failed: 1, failureRate: 0.25 });
    expect(body.overall.durationMs.p50).toBeGreaterThanOrEqual(150);
    expect(body.overall.durationMs.p95).toBeGreaterThanOrEqual(body.overall.durationMs.p50 ?? 0);
    const today = new Date().toISOString().slice(0, 10);
    expect(body.overall.runsPerDay.at(-1)).toEqual({
      day: today,
      succeeded: 3,
      failed: 1,
      cancelled: 0,
      unfinished: 0,
    });
    expect(body.overall.runsPerDay.length).toBe(7);
    expect(body.overall.failingSteps).toEqual([
      { workflowId: invoiceId, nodeId: 'crunch', failures: 1, lastErrorCode: 'E_CODE_ERROR' },
    ]);
    // CPU time as the sandbox measured it and the step rows recorded it: 4 × ~150 ms of busy loop.
    const [recorded] = await db.sql`
      select sum((s.usage->>'sandboxCpuMs')::float8) as cpu_ms, count(s.usage) as with_usage
      from steps s join runs r on r.id = s.run_id where r.workflow_id = ${invoiceId}`;
    expect(Number(recorded?.withUsage)).toBe(4);
    expect(body.overall.compute.sandboxCpuMs).toBeCloseTo(Number(recorded?.cpuMs), 3);
    // CPU time is what the process got, not the wall time it waited (a loaded machine shares its cores).
    expect(body.overall.compute.sandboxCpuMs).toBeGreaterThan(4 * 10);
    expect(body.overall.compute.stepWallMs).toBeGreaterThanOrEqual(4 * 150);
    expect(body.overall.compute.sandboxCpuMs).toBeLessThan(body.overall.compute.stepWallMs * 1.5);
    expect(body.overall.llm).toMatchObject({ calls: 0, costUsd: 0 });
  });

  it('counts llm.* steps and core.agent turns with their cost, and leaves an unpriced model’s cost unknown', async () => {
    const { body } = await insights(`?workflowId=${aiId}`);
    const models = body.overall.llm.models;
    const priced = models.find(
      (entry) => entry.source === 'action' && entry.model === 'anthropic:claude-test',
    );
    const unpriced = models.find(
      (entry) => entry.source === 'action' && entry.model === 'openai:local-model',
    );
    const agent = models.find((entry) => entry.source === 'step' && entry.model === 'anthropic:claude-test');
    expect(priced).toMatchObject({ calls: 1 });
    expect(priced?.outputTokens).toBeGreaterThan(0);
    expect(priced?.costUsd).toBeCloseTo(cost(priced ?? { inputTokens: 0, outputTokens: 0 }), 12);
    expect(unpriced).toMatchObject({ calls: 1, costUsd: null });
    expect(agent).toMatchObject({ calls: 1 });
    expect(body.overall.llm.calls).toBe(3);
    expect(body.overall.llm.unpricedCalls).toBe(1);
    expect(body.overall.llm.costUsd).toBeCloseTo((priced?.costUsd ?? 0) + (agent?.costUsd ?? 0), 12);
    // The step row keeps the llm.* call's usage, as "provider:model".
    const [row] = await db.sql`
      select s.usage from steps s join runs r on r.id = s.run_id where r.workflow_id = ${aiId} and s.node_id = 'summarise'`;
    expect(row?.usage).toMatchObject({
      llm: { model: 'anthropic:claude-test', outputTokens: priced?.outputTokens },
    });
  });

  it('is overall across workflows, validated, documented and scoped to what the caller may see', async () => {
    const all = await insights('');
    expect(all.body.overall.runs).toBe(5);
    expect(all.body.workflows.map((workflow) => workflow.workflowId).sort()).toEqual(
      [aiId, invoiceId].sort(),
    );
    expect((await insights('?days=0')).status).toBe(400);
    expect((await insights('?days=366')).status).toBe(400);
    expect((await insights('?workflowId=wf_nope')).status).toBe(404);
    const openapi = (await (await fetch(`${app.url}/api/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(openapi.paths['/api/insights']).toHaveProperty('get');
    expect((await fetch(`${app.url}/api/insights`)).status).toBe(401);
    // The web page's route: the same report for the signed-in person, nothing for nobody.
    expect((await fetch(`${app.url}/chat/api/insights`)).status).toBe(401);
    const page = await fetch(`${app.url}/chat/api/insights?days=30`, { headers: headers() });
    expect(page.status).toBe(200);
    expect(((await page.json()) as Report).overall.runs).toBe(5);
    expect((await fetch(`${app.url}/chat/api/insights?days=0`, { headers: headers() })).status).toBe(400);
    expect(
      (await fetch(`${app.url}/chat/api/insights?workflowId=wf_nope`, { headers: headers() })).status,
    ).toBe(404);

    // A viewer sees the workspace workflow, not the owner's private one (which is a 404 for them).
    const owner = await ensureLocalOwner(db.sql, 'cli');
    const vera = await testPrincipal(db.sql, 'vera', 'viewer');
    const { token } = await createToken(db.sql, owner, { userId: vera.userId, name: 'vera-insights' });
    const seen = await insights('', token);
    expect(seen.status).toBe(200);
    expect(seen.body.workflows.map((workflow) => workflow.workflowId)).toEqual([invoiceId]);
    expect(seen.body.overall.runs).toBe(4);
    expect((await insights(`?workflowId=${aiId}`, token)).status).toBe(404);
  });

  it('exposes sandbox CPU seconds and LLM cost on /metrics', async () => {
    const { body } = await insights('');
    const invoice = body.workflows.find((workflow) => workflow.workflowId === invoiceId);
    const ai = body.workflows.find((workflow) => workflow.workflowId === aiId);
    const text = await (await fetch(`${app.url}/metrics`, { headers: headers() })).text();
    expect(text).toContain('# TYPE vmesh_sandbox_cpu_seconds_total counter');
    expect(text).toContain('# TYPE vmesh_llm_cost_usd_total counter');
    const samples = samplesOf(text);
    expect(sample(samples, 'vmesh_sandbox_cpu_seconds_total', { workflow: invoiceId })).toBeCloseTo(
      (invoice?.compute.sandboxCpuMs ?? 0) / 1000,
      6,
    );
    const priced = ai?.llm.models.find((entry) => entry.source === 'action' && entry.costUsd !== null);
    expect(
      sample(samples, 'vmesh_llm_cost_usd_total', { source: 'action', model: 'anthropic:claude-test' }),
    ).toBeCloseTo(priced?.costUsd ?? -1, 12);
    expect(sample(samples, 'vmesh_llm_calls_total', { source: 'action', model: 'openai:local-model' })).toBe(
      1,
    );
    expect(
      sample(samples, 'vmesh_llm_cost_usd_total', { source: 'action', model: 'openai:local-model' }),
    ).toBe(undefined);
  });

  it('prints the report from `vmesh insights` as a process, readable and as JSON', async () => {
    const env = cliEnv({
      DATABASE_URL: db.url,
      VMESH_SECRET_KEY: SECRET_KEY,
      VMESH_LLM_PRICES: JSON.stringify({ 'anthropic:claude-test': PRICE }),
    });
    const json = await runCli(['insights', '--workflow', invoiceId, '--days', '7', '--json'], { env });
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as Report;
    expect(report.overall).toMatchObject({ runs: 4, failed: 1, failureRate: 0.25 });
    const text = await runCli(['insights'], { env });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('Workflow invoice');
    expect(text.stdout).toContain('failure rate: 25.0 %');
    expect(text.stdout).toContain('failing most: crunch ×1 (E_CODE_ERROR)');
    expect(text.stdout).toMatch(
      /LLM cost: \$0\.\d{4} \+ 1 call of models without a price \(3 calls, \d+ tokens in/,
    );
    const refused = await runCli(['insights', '--days', 'many'], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--days');
  }, 180_000);

  it('keeps the numbers after retention pruned the runs’ data', async () => {
    const before = (await insights('')).body;
    const pruned = await pruneRunData(db.sql, 1, { now: new Date(Date.now() + 3 * 86_400_000) });
    expect(pruned.runs).toBe(5);
    const after = (await insights('')).body;
    expect(after.overall).toMatchObject({ runs: 5, failed: 1, failureRate: before.overall.failureRate });
    expect(after.overall.compute.sandboxCpuMs).toBeCloseTo(before.overall.compute.sandboxCpuMs, 3);
    expect(Math.abs(after.overall.compute.stepWallMs - before.overall.compute.stepWallMs)).toBeLessThan(5);
    expect(after.overall.llm.calls).toBe(before.overall.llm.calls);
    expect(after.overall.llm.costUsd).toBeCloseTo(before.overall.llm.costUsd, 12);
    expect(after.overall.failingSteps).toEqual(before.overall.failingSteps);
  }, 60_000);
});
