import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConversationService } from '../../agent/conversation-service.ts';
import { createAnthropicProvider } from '../../agent/providers/anthropic-provider.ts';
import { createRuntimePorts } from '../../agent/runtime-ports.ts';
import { testPrincipal } from '../../agent/testing/principals.ts';
import {
  type ScriptedModelServer,
  startScriptedModelServer,
} from '../../agent/testing/scripted-model-server.ts';
import { createHttpServer } from '../../app/server.ts';
import { cliEnv, runCli } from '../../cli/testing/cli-process.ts';
import { createCredentialStore, httpConnector, parseSecretKey } from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { loadSystemPrompt } from '../../prompts/load-prompts.ts';
import { startRun } from '../engine/engine.ts';
import type { EngineWorker } from '../engine/worker.ts';
import { createEngineServices } from '../services.ts';
import { waitForRun } from '../store/run-store.ts';
import { basicAuthForms, everyRowText, leakedForms, secretForms } from './testing/secret-sweep.ts';

// A target that echoes the request back in a SUCCESSFUL answer (200, body and response headers): each of the
// http credential schemes (basic, bearer, custom header) is used by a real worker run, and afterwards none of
// the secrets is anywhere we store or serve: any row of any table (steps, runs, run_events…), the run API and
// its event stream, `vmesh runs get` (text and --json) run as a process, and what the agent reads of the run
// (the model's requests and the stored conversation history). Checked in every encoding,
// including what actually went on the wire: base64(user:password) and the whole `Basic …` value.

const suffix = randomBytes(6).toString('hex');
const user = 'ada';
// Short on purpose: the raw password is too short to register on its own, its wire form is not.
const password = `pw${suffix.slice(0, 3)}`;
const bearer = `bearer-Sëcret+/=&?:@-${suffix}`;
const headerValue = `key-${suffix}-value`;
const apiToken = 'api-token-for-tests-0123456789';
const apiAuth = { authorization: `Bearer ${apiToken}` };

describe('a credential echoed by a successful answer is stored and served redacted', () => {
  let db: TestDatabase;
  let target: FastifyInstance;
  let api: FastifyInstance;
  let worker: EngineWorker;
  let model: ScriptedModelServer;
  let runId = '';
  const received: Record<string, string | undefined>[] = [];

  beforeAll(async () => {
    db = await createTestDatabase({ poolSize: 8 });
    target = Fastify();
    target.get('/echo', async (request, reply) => {
      const headers = request.headers as Record<string, string | undefined>;
      received.push(headers);
      const authorization = headers.authorization ?? '';
      return reply
        .code(200)
        .header('x-echo-authorization', authorization)
        .header('x-echo-api-key', headers['x-api-key'] ?? '')
        .send({
          requestHeaders: headers,
          decoded: authorization.startsWith('Basic ')
            ? Buffer.from(authorization.slice(6), 'base64').toString('utf8')
            : null,
          encoded: encodeURIComponent(authorization),
        });
    });
    const targetUrl = await target.listen({ host: '127.0.0.1', port: 0 });

    const secretKey = randomBytes(32).toString('base64');
    const env = { VMESH_SECRET_KEY: secretKey, VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' };
    const database = { sql: db.sql, url: db.url, kind: 'external' as const, close: async () => {} };
    const engine = await createEngineServices(database, { env, connectors: [httpConnector] });
    const store = createCredentialStore({
      sql: db.sql,
      key: parseSecretKey(secretKey),
      types: [httpConnector.credential!],
    });
    await store.set('basic', 'http', { scheme: 'basic', username: user, password });
    await store.set('bearer', 'http', { scheme: 'bearer', token: bearer });
    await store.set('header', 'http', { scheme: 'header', name: 'X-Api-Key', value: headerValue });
    api = createHttpServer({
      database: { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
      startedAt: Date.now(),
      version: 'test',
      env: {},
      config: { host: '127.0.0.1', apiToken, publicUrl: 'http://localhost' },
    });
    engine.registerHttp(api, { publicUrl: 'http://127.0.0.1:3000' });
    worker = await engine.startWorker({ concurrency: 2 });

    const call = (id: string, credential: string) => ({
      id,
      uses: 'http.request',
      credential,
      retry: { maxAttempts: 1 },
      with: { url: `${targetUrl}/echo` },
    });
    const { id } = await engine.workflows.create({
      schemaVersion: 1,
      name: 'Echo every credential',
      trigger: { type: 'manual' },
      nodes: [call('basic', 'basic'), call('bearer', 'bearer'), call('header', 'header')],
      edges: [
        { from: 'basic', to: 'bearer' },
        { from: 'bearer', to: 'header' },
      ],
    });
    ({ runId } = await startRun(db.sql, id, {}));
    const view = await waitForRun(db.sql, runId, { timeoutMs: 20_000 });
    expect(view.status).toBe('succeeded');

    // The agent reads the run (get_run): the model sees it, the conversation stores it.
    model = await startScriptedModelServer();
    const service = createConversationService({
      sql: db.sql,
      provider: createAnthropicProvider({
        model: 'claude-test',
        apiKey: 'sk-test',
        baseURL: model.anthropicBaseUrl,
      }),
      system: loadSystemPrompt(),
      ...createRuntimePorts({ sql: db.sql, connectors: [httpConnector] }),
    });
    model.setScript([{ toolCalls: [{ name: 'get_run', input: { runId } }] }, { text: 'It succeeded.' }]);
    await service.handleMessage({
      threadKey: 'test:echo',
      principal: await testPrincipal(db.sql, 'ada', 'owner'),
      text: 'how did the echo run go?',
    });
  });

  afterAll(async () => {
    await worker?.stop();
    await model?.close();
    await api?.close();
    await target?.close();
    await db?.drop();
  });

  const forms = () => [
    ...basicAuthForms(user, password),
    ...secretForms(bearer),
    ...secretForms(headerValue),
  ];

  it('the target really received every secret (the sweep is not vacuous)', () => {
    const authorizations = received.map((headers) => headers.authorization);
    expect(authorizations).toContain(`Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`);
    expect(authorizations).toContain(`Bearer ${bearer}`);
    expect(received.map((headers) => headers['x-api-key'])).toContain(headerValue);
  });

  it('no form of any secret in any table, API answer or event stream', async () => {
    const { tables, rows } = await everyRowText(db.sql);
    for (const needed of ['runs', 'steps', 'run_events', 'credentials', 'conversation_messages']) {
      expect(tables).toContain(needed);
    }
    const steps = await db.sql`select node_id, output from steps where run_id = ${runId}`;
    expect(steps).toHaveLength(3);
    // The answers were stored (redacted), not dropped.
    expect(JSON.stringify(steps)).toContain('[REDACTED]');

    const answers: string[] = [];
    for (const url of [`/api/runs/${runId}`, `/api/runs/${runId}/events`, '/api/runs']) {
      const response = await api.inject({ method: 'GET', url, headers: apiAuth });
      expect(response.statusCode, url).toBe(200);
      answers.push(response.body);
    }
    expect(answers[1]).toContain('event: run.succeeded');

    expect(leakedForms(rows.join('\n'), forms()), 'rows').toEqual([]);
    expect(leakedForms(answers.join('\n'), forms()), 'API').toEqual([]);
    const getRun = model.requests.flatMap((request) => request.normalized.toolResults);
    expect(getRun[0]?.content).toContain('requestHeaders');
    expect(leakedForms(model.requests.map((r) => r.rawBody).join('\n'), forms()), 'model').toEqual([]);
  });

  it('`vmesh runs get` (text and --json) as a process prints no form of any secret', async () => {
    const env = cliEnv({ DATABASE_URL: db.url, VMESH_DATA_DIR: '/nonexistent' });
    const [text, json] = await Promise.all([
      runCli(['runs', 'get', runId], { env }),
      runCli(['runs', 'get', runId, '--json'], { env }),
    ]);
    expect(text.code, text.stderr).toBe(0);
    expect(json.code, json.stderr).toBe(0);
    expect(json.stdout).toContain('[REDACTED]');
    expect(leakedForms(`${text.stdout}${text.stderr}${json.stdout}${json.stderr}`, forms())).toEqual([]);
  }, 60_000);
});
