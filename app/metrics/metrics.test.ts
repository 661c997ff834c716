import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ScriptedModelServer,
  startScriptedModelServer,
} from '../../agent/testing/scripted-model-server.ts';
import { createCredentialStore, llmConnector, parseSecretKey } from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { type RunningApp, startApp } from '../start.ts';
import { parseExposition, sampleValue } from './testing/exposition.ts';

// GET /metrics of the app as `npm start` runs it: runs through the real worker and hook route, scraped and parsed.

let db: TestDatabase;
let app: RunningApp;
let model: ScriptedModelServer;
const TOKEN = 'metrics-test-token-0123456789';
const SECRET_KEY = Buffer.alloc(32, 13).toString('base64');

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 4 });
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
}, 60_000);
afterAll(async () => {
  await app?.stop();
  await model?.close();
  await db?.drop();
});

const scrape = async (headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) => {
  const response = await fetch(`${app.url}/metrics`, { headers });
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
};

const value = sampleValue;

async function api(path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${app.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(body),
  });
  return (await response.json()) as Record<string, unknown>;
}

async function finished(runId: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const [row] = await db.sql`select status from runs where id = ${runId}`;
    if (row && ['succeeded', 'failed'].includes(String(row.status))) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`run ${runId} did not finish`);
}

describe('GET /metrics', () => {
  it('needs the token when one is set', async () => {
    expect((await scrape({})).status).toBe(401);
    expect((await scrape({ authorization: 'Bearer wrong-token-0123456789' })).status).toBe(401);
  });

  it('counts runs by workflow and status, step durations by node type, and webhook answers by status', async () => {
    const baseline = parseExposition((await scrape()).text).samples;
    const created = await api('/api/workflows', {
      document: {
        schemaVersion: 1,
        name: 'metered',
        trigger: { type: 'webhook' },
        nodes: [
          { id: 'shape', uses: 'core.transform', with: { value: '{{ trigger.body.n }}' } },
          {
            id: 'check',
            uses: 'core.code',
            retry: { maxAttempts: 1 },
            with: {
              code: 'if (input > 5) throw new Error("too big"); return input',
              input: '{{ steps.shape.output }}',
            },
          },
        ],
        edges: [{ from: 'shape', to: 'check' }],
      },
    });
    const id = String(created.id);
    await api(`/api/workflows/${id}/activate`, {});
    const detail = (await (
      await fetch(`${app.url}/api/workflows/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as { hook: { secret: string } };
    const hook = (n: number, secret = detail.hook.secret) =>
      fetch(`${app.url}/hooks/${id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-vmesh-secret': secret },
        body: JSON.stringify({ n }),
      });
    const answered = async (n: number) => {
      const response = await hook(n);
      const body = (await response.json()) as { runId?: string };
      if (!body.runId) throw new Error(`hook answered ${response.status}: ${JSON.stringify(body)}`);
      return { runId: body.runId };
    };
    const ok = await answered(1);
    const bad = await answered(9);
    expect((await hook(1, 'not-the-secret-at-all')).status).toBe(401);
    await finished(ok.runId);
    await finished(bad.runId);

    const { status, type, text } = await scrape();
    expect(status).toBe(200);
    expect(type).toContain('text/plain; version=0.0.4');
    const { samples, types } = parseExposition(text);
    expect(types.get('vmesh_runs_started_total')).toBe('counter');
    expect(types.get('vmesh_step_duration_seconds')).toBe('histogram');
    expect(value(samples, 'vmesh_runs_started_total', { workflow: id })).toBe(2);
    expect(value(samples, 'vmesh_runs_finished_total', { workflow: id, status: 'succeeded' })).toBe(1);
    expect(value(samples, 'vmesh_runs_finished_total', { workflow: id, status: 'failed' })).toBe(1);
    const stepCount = (nodeType: string, stepStatus: string) =>
      value(samples, 'vmesh_step_duration_seconds_count', { node_type: nodeType, status: stepStatus }) ?? 0;
    const earlier = (nodeType: string, stepStatus: string) =>
      value(baseline, 'vmesh_step_duration_seconds_count', { node_type: nodeType, status: stepStatus }) ?? 0;
    expect(stepCount('core.transform', 'succeeded') - earlier('core.transform', 'succeeded')).toBe(2);
    expect(stepCount('core.code', 'succeeded') - earlier('core.code', 'succeeded')).toBe(1);
    expect(stepCount('core.code', 'failed') - earlier('core.code', 'failed')).toBe(1);
    const delta = (code: string) =>
      (value(samples, 'vmesh_webhook_requests_total', { status: code }) ?? 0) -
      (value(baseline, 'vmesh_webhook_requests_total', { status: code }) ?? 0);
    expect(delta('202') + delta('200')).toBe(2);
    expect(delta('401')).toBe(1);
    expect(value(samples, 'vmesh_workflows_active', {})).toBeGreaterThanOrEqual(1);
    expect(value(samples, 'vmesh_queue_oldest_job_age_seconds', {})).toBeGreaterThanOrEqual(0);
    expect(samples.some((sample) => sample.name === 'vmesh_process_resident_memory_bytes')).toBe(true);
    // A core.agent step's model calls and tokens, by model (journal rows are read once they are 5 s old).
    model.setScript([{ text: 'All good.' }]);
    const agent = await api('/api/workflows', {
      document: {
        schemaVersion: 1,
        name: 'asks',
        trigger: { type: 'manual' },
        nodes: [{ id: 'ask', uses: 'core.agent', credential: 'claude', with: { prompt: 'Say it is fine.' } }],
        edges: [],
      },
    });
    const asked = (await api(`/api/workflows/${String(agent.id)}/runs`, { input: {} })) as { runId: string };
    await finished(asked.runId);
    await new Promise((resolve) => setTimeout(resolve, 5_500));
    const withLlm = parseExposition((await scrape()).text).samples;
    expect(value(withLlm, 'vmesh_llm_calls_total', { source: 'step', model: 'anthropic:claude-test' })).toBe(
      1,
    );
    expect(
      value(withLlm, 'vmesh_llm_tokens_total', {
        source: 'step',
        model: 'anthropic:claude-test',
        direction: 'output',
      }),
    ).toBeGreaterThan(0);
    // A second scrape counts nothing twice.
    const again = parseExposition((await scrape()).text).samples;
    expect(value(again, 'vmesh_runs_started_total', { workflow: id })).toBe(2);
    expect(text).not.toContain(detail.hook.secret);
  });
});
