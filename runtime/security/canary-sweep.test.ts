import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConversationService } from '../../agent/conversation-service.ts';
import { createAnthropicProvider } from '../../agent/providers/anthropic-provider.ts';
import type { Reply } from '../../agent/reply.ts';
import { createCredentialsPort, createRuntimePorts } from '../../agent/runtime-ports.ts';
import { testPrincipal } from '../../agent/testing/principals.ts';
import {
  type ScriptedModelServer,
  startScriptedModelServer,
} from '../../agent/testing/scripted-model-server.ts';
import { createHttpServer } from '../../app/server.ts';
import { createCredentialStore, httpConnector, parseSecretKey } from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { logger } from '../../lib/logger.ts';
import { loadSystemPrompt } from '../../prompts/load-prompts.ts';
import { startRun } from '../engine/engine.ts';
import type { EngineWorker } from '../engine/worker.ts';
import { createEngineServices } from '../services.ts';
import { waitForRun } from '../store/run-store.ts';

// The sweep: one credential with a canary secret, used by a run that fails against an API that echoes every
// request header back in its 400 body; the failure then goes through self-healing (scripted model). Afterwards the
// canary must be in none of: the process log (every level), console output, any row of any table (public and
// graphile_worker schemas: runs, steps, run_events, proposals, conversation_messages, jobs…), the API's answers
// (run, run list, SSE events, workflow, workflow list) and the model's requests — in raw, base64, base64url,
// URL-encoded, hex and JSON-escaped forms. (agent/self-healing.test.ts and runtime/engine/connector-steps.test.ts
// check parts of this; here everything is swept at once, including the logs and every table.)

const CANARY = `canary-Sëcret+/=&?:@-${randomBytes(8).toString('hex')}`;
const token = 'api-token-for-tests-0123456789';
const auth = { authorization: `Bearer ${token}` };

function encodings(secret: string): string[] {
  return [
    secret,
    Buffer.from(secret).toString('base64'),
    Buffer.from(secret).toString('base64url'),
    Buffer.from(`Bearer ${secret}`).toString('base64'),
    encodeURIComponent(secret),
    encodeURIComponent(`Bearer ${secret}`),
    Buffer.from(secret).toString('hex'),
    JSON.stringify(secret).slice(1, -1),
    JSON.stringify(JSON.stringify(secret)).slice(1, -1),
    // The part a careless redactor leaves: the secret without its first characters.
    secret.slice(8),
  ];
}

describe('canary sweep: a credential used by a failing run leaks nowhere', () => {
  let db: TestDatabase;
  let model: ScriptedModelServer;
  let target: FastifyInstance;
  let api: FastifyInstance;
  let worker: EngineWorker;
  const logLines: string[] = [];
  const consoleLines: string[] = [];
  const restore: (() => void)[] = [];
  const echoed: string[] = [];

  beforeAll(async () => {
    // The real process logger, at every level, written to memory.
    const symbols = logger as unknown as Record<symbol, unknown>;
    const previousStream = symbols[pino.symbols.streamSym];
    const previousLevel = logger.level;
    symbols[pino.symbols.streamSym] = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    logger.level = 'trace';
    restore.push(() => {
      symbols[pino.symbols.streamSym] = previousStream;
      logger.level = previousLevel;
    });
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      const original = console[method];
      console[method] = (...args: unknown[]) => {
        consoleLines.push(args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' '));
      };
      restore.push(() => {
        console[method] = original;
      });
    }

    db = await createTestDatabase({ poolSize: 8 });
    model = await startScriptedModelServer();
    target = Fastify();
    target.post('/v1/items', async (request, reply) => {
      echoed.push(String(request.headers.authorization));
      // Echo every request header, the way some APIs describe a bad request.
      return reply.code(400).send({ error: 'bad request', requestHeaders: request.headers });
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
    await store.set('api', 'http', { scheme: 'bearer', token: CANARY });
    api = createHttpServer({
      database: { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
      startedAt: Date.now(),
      version: 'test',
      env: {},
      config: { host: '127.0.0.1', apiToken: token, publicUrl: 'http://localhost' },
    });
    engine.registerHttp(api, { publicUrl: 'http://127.0.0.1:3000' });
    worker = await engine.startWorker({ concurrency: 2 });

    const service = createConversationService({
      sql: db.sql,
      provider: createAnthropicProvider({
        model: 'claude-test',
        apiKey: 'sk-test',
        baseURL: model.anthropicBaseUrl,
      }),
      system: loadSystemPrompt(),
      ...createRuntimePorts({
        sql: db.sql,
        connectors: [httpConnector],
        credentials: createCredentialsPort(store),
      }),
    });
    const document = {
      schemaVersion: 1,
      name: 'Forward items',
      trigger: { type: 'webhook' },
      nodes: [
        {
          id: 'forward',
          uses: 'http.request',
          credential: 'api',
          retry: { maxAttempts: 1 },
          with: { method: 'POST', url: `${targetUrl}/v1/items`, body: { title: '{{ trigger.body.title }}' } },
        },
      ],
      edges: [],
    };
    model.setScript([
      { toolCalls: [{ name: 'propose_workflow', input: { document, summary: 'Forward items.' } }] },
      { text: 'Proposed.' },
    ]);
    const replies: Reply[] = await service.handleMessage({
      threadKey: 'test:canary',
      principal: await testPrincipal(db.sql, 'ada', 'owner'),
      text: 'forward webhook items to our API',
    });
    const proposal = replies.flatMap((r) => (r.type === 'proposal' ? [r.proposal] : []))[0];
    await service.decide({
      proposalId: proposal!.id,
      decision: 'approve',
      principal: await testPrincipal(db.sql, 'ada', 'owner'),
    });
    const [row] = await db.sql`select id from workflows where name = 'Forward items'`;
    const workflowId = String(row?.id);
    const { runId } = await startRun(
      db.sql,
      workflowId,
      { body: { title: 'hello' } },
      { triggerType: 'webhook' },
    );
    const view = await waitForRun(db.sql, runId, { timeoutMs: 20_000 });
    expect(view.status).toBe('failed');

    model.setScript([
      { toolCalls: [{ name: 'explain_failure', input: { runId } }] },
      {
        toolCalls: [
          {
            name: 'propose_fix',
            input: { runId, document: { ...document, name: 'Forward items' }, summary: 'Retry as is.' },
          },
        ],
      },
      { text: 'I propose a fix.' },
    ]);
    await service.handleRunFailed(runId);
  });

  afterAll(async () => {
    for (const undo of restore.reverse()) undo();
    await worker?.stop();
    await api?.close();
    await target?.close();
    await model?.close();
    await db?.drop();
  });

  it('the target really received the canary (the sweep is not vacuous) and the run failed on the echo', async () => {
    expect(echoed).toContain(`Bearer ${CANARY}`);
    const [failed] = await db.sql`select error from runs where status = 'failed'`;
    expect(JSON.stringify(failed?.error)).toContain('400');
    expect(logLines.length).toBeGreaterThan(0);
  });

  it('no form of the canary in logs, console, any table, any API answer or any model request', async () => {
    const tables = await db.sql`
      select table_schema, table_name from information_schema.tables
      where table_schema in ('public', 'graphile_worker', 'graphile_worker_private') and table_type = 'BASE TABLE'`;
    const rowTexts: string[] = [];
    const filled: string[] = [];
    for (const table of tables) {
      const name = `${String(table.tableSchema)}.${String(table.tableName)}`;
      const rows = await db.sql.unsafe(`select row_to_json(t)::text as t from ${name} t`);
      if (rows.length > 0) filled.push(String(table.tableName));
      for (const row of rows) rowTexts.push(String(row.t));
    }
    // The rows the issue names exist, so their absence of the canary means something.
    for (const needed of [
      'runs',
      'steps',
      'run_events',
      'proposals',
      'conversation_messages',
      'credentials',
    ]) {
      expect(filled).toContain(needed);
    }

    const responses: string[] = [];
    const runIds = (await db.sql`select id from runs`).map((row) => String(row.id));
    const workflowIds = (await db.sql`select id from workflows`).map((row) => String(row.id));
    const urls = [
      '/api/runs',
      '/api/workflows',
      ...runIds.flatMap((id) => [`/api/runs/${id}`, `/api/runs/${id}/events`]),
      ...workflowIds.flatMap((id) => [`/api/workflows/${id}`, `/api/workflows/${id}/versions/1`]),
    ];
    for (const url of urls) {
      const response = await api.inject({ method: 'GET', url, headers: auth });
      expect(response.statusCode, url).toBe(200);
      responses.push(response.body);
    }
    expect(responses.some((body) => body.includes('event: run.failed'))).toBe(true);

    const sources = {
      logs: logLines.join(''),
      console: consoleLines.join('\n'),
      rows: rowTexts.join('\n'),
      api: responses.join('\n'),
      model: model.requests.map((request) => request.rawBody).join('\n'),
    };
    for (const [where, text] of Object.entries(sources)) {
      for (const form of encodings(CANARY)) {
        expect(text.includes(form), `${where} contains ${form}`).toBe(false);
      }
    }
  });
});
