// A catastrophic regex reached without any approval: an MCP client's test_workflow dry run over HTTP, and a real
// run on the worker. Either must fail the expression at the 1 s limit while the same process keeps serving:
// /healthz answers, timers fire. Node "started" records $millis() just before the bomb's node is evaluated, so
// the test can tell whether the process answered during the bomb's evaluation (which takes several seconds in
// V8 for 26 a's), not merely before it began.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createConversationService,
  createOpenAIProvider,
  createRuntimePorts,
  toBotConversationPort,
} from '../../agent/index.ts';
import {
  type ScriptedModelServer,
  startScriptedModelServer,
} from '../../agent/testing/scripted-model-server.ts';
import { createHttpServer } from '../../app/server.ts';
import { createRuntimeWorkflowPort, registerMcpHttp } from '../../bots/index.ts';
import { builtinConnectors } from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { createLogger } from '../../lib/logger.ts';
import { loadSystemPrompt } from '../../prompts/load-prompts.ts';
import { getRunView } from '../store/run-store.ts';
import { createWorkflowService } from '../store/workflow-service.ts';
import { triggerSync } from '../triggers/trigger-kinds.ts';
import { startRun } from './engine.ts';
import type { NodeRunnerDeps } from './node-runner.ts';
import { runStepJob } from './step-task.ts';
import { StepJobPayload } from './tasks.ts';

const TOKEN = 'bomb-test-token-0123456789abcdef';
const LIMIT_MS = 1_000;
const bomb = `{{ $match("${'a'.repeat(26)}!", /(a+)+$/) }}`;
const bombDocument = {
  schemaVersion: 1,
  name: 'regex bomb',
  trigger: { type: 'manual' },
  nodes: [
    { id: 'started', uses: 'core.transform', with: { value: '{{ $millis() }}' } },
    { id: 'bomb', uses: 'core.transform', with: { value: bomb } },
  ],
  edges: [{ from: 'started', to: 'bomb' }],
};

let db: TestDatabase;
let model: ScriptedModelServer;
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  db = await createTestDatabase();
  model = await startScriptedModelServer();
  const service = createConversationService({
    sql: db.sql,
    provider: createOpenAIProvider({ model: 'gpt-test', apiKey: 'k', baseURL: model.openaiBaseUrl }),
    system: loadSystemPrompt(),
    ...createRuntimePorts({ sql: db.sql, connectors: builtinConnectors }),
  });
  app = createHttpServer({
    database: { sql: db.sql, url: db.url, kind: 'embedded', close: async () => {} },
    startedAt: Date.now(),
    version: 'test',
    env: {},
    config: { host: '127.0.0.1', apiToken: TOKEN, publicUrl: 'http://localhost' },
  });
  await registerMcpHttp(app, {
    conversation: toBotConversationPort(service),
    workflows: createRuntimeWorkflowPort(db.sql),
    allowedHosts: () => [new URL(base).host],
    allowedOrigins: () => [base],
  });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await app?.close();
  await model?.close();
  await db?.drop();
});

/** Polls /healthz one request after another until `done` settles; the times (ms) each answer arrived. */
async function pollHealth(done: Promise<unknown>): Promise<number[]> {
  let settled = false;
  void done.finally(() => {
    settled = true;
  });
  const answered: number[] = [];
  while (!settled) {
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    answered.push(Date.now());
  }
  return answered;
}

describe('a regex bomb does not freeze the process', () => {
  it('over MCP HTTP: test_workflow reports the expression stopped at the limit; /healthz answers meanwhile', async () => {
    const client = new Client({ name: 'bomb-test', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
      }),
    );
    const call = client.callTool({ name: 'test_workflow', arguments: { document: bombDocument } });
    const [result, answered] = await Promise.all([call, pollHealth(call)]);
    const text = (result.content as Array<{ text: string }>)[0]?.text ?? '';
    const report = JSON.parse(text) as {
      ok: boolean;
      steps: { id: string; output?: unknown; error?: string }[];
    };
    expect(report.ok).toBe(false);
    const bombStartedAt = Number(report.steps.find((step) => step.id === 'started')?.output);
    expect(bombStartedAt).toBeGreaterThan(0);
    expect(report.steps.find((step) => step.id === 'bomb')?.error).toMatch(
      /ran longer than its 1000 ms limit and was stopped/,
    );
    // Answered while the bomb was being evaluated: after it began, before it could have ended on this thread.
    expect(answered.some((at) => at > bombStartedAt && at < bombStartedAt + LIMIT_MS)).toBe(true);
    await client.close();
  });

  it('on the worker: the step fails with EXPRESSION_FAILED and timers keep firing during the bomb', async () => {
    const service = createWorkflowService(db.sql, [], { onTriggerChange: triggerSync([]) });
    const deps: NodeRunnerDeps = {
      sql: db.sql,
      connectors: [],
      connectorEnv: { baseUrls: {}, fetch, logger: createLogger({ level: 'silent' }) },
      logger: createLogger({ level: 'silent' }),
    };
    const { id } = await service.create(bombDocument);
    const { runId } = await startRun(db.sql, id, {});
    const ticks: number[] = [];
    const ticker = setInterval(() => ticks.push(Date.now()), 10);
    try {
      for (let i = 0; i < 10; i++) {
        const [job] = await db.sql`
          delete from graphile_worker._private_jobs where id = (
            select j.id from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
            where t.identifier = 'vmesh_step' and j.payload->>'runId' = ${runId} order by j.id limit 1)
          returning key, payload`;
        if (!job) break;
        await runStepJob(
          deps,
          StepJobPayload.parse(job.payload),
          job.key as string | null,
          new AbortController().signal,
        );
      }
    } finally {
      clearInterval(ticker);
    }
    const run = await getRunView(db.sql, runId);
    expect(run.status).toBe('failed');
    const started = run.steps.find((step) => step.id === 'started');
    const failed = run.steps.find((step) => step.id === 'bomb');
    expect(failed?.error).toMatchObject({ code: 'EXPRESSION_FAILED', retryable: false });
    const bombStartedAt = Number(started?.output);
    expect(ticks.some((at) => at > bombStartedAt && at < bombStartedAt + LIMIT_MS)).toBe(true);
  });
});
