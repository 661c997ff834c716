import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { exportPKCS8, generateKeyPair } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../app/server.ts';
import {
  createCredentialStore,
  credentialTypesOf,
  httpConnector,
  parseSecretKey,
} from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { logger } from '../../lib/logger.ts';
import { everyRowText, leakedForms, secretForms } from '../security/testing/secret-sweep.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { waitForRun } from '../store/run-store.ts';
import { startRun } from './engine.ts';
import type { EngineWorker } from './worker.ts';

// Credentials of every auth style used by http.request steps on the real worker (real Postgres, guarded fetch):
// a Telegram-shaped API that takes its bot token in the URL path, and an API that echoes every request (headers,
// URL, body) back in its 400 answer. Afterwards no form of any secret (the stored fields and the access tokens
// fetched from token endpoints) is in the process log, any table, or the API's answers; the step input keeps
// the URL with `{token}`.

const apiToken = 'api-token-for-tests-0123456789';
const rand = () => randomBytes(6).toString('hex');
const botToken = `${100000 + Math.floor(Math.random() * 899999)}:AAH${rand()}-bot${rand()}`;
const issued: string[] = [];

type Seen = { url: string; headers: IncomingMessage['headers']; body: string };
const seen: Seen[] = [];
let db: TestDatabase;
let engine: EngineServices;
let worker: EngineWorker;
let app: FastifyInstance;
let server: Server;
let base = '';
const logLines: string[] = [];
const restore: (() => void)[] = [];

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: import('node:http').ServerResponse, status: number, json: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
}

beforeAll(async () => {
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

  server = createServer((request, response) => {
    void (async () => {
      const entry: Seen = { url: request.url ?? '', headers: request.headers, body: await readBody(request) };
      seen.push(entry);
      const telegram = /^\/bot([^/]+)\/sendMessage$/.exec(entry.url);
      if (telegram && request.method === 'POST') {
        if (decodeURIComponent(telegram[1] ?? '') !== botToken)
          return send(response, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
        const message = JSON.parse(entry.body) as { chat_id: number; text: string };
        return send(response, 200, {
          ok: true,
          result: {
            message_id: 7,
            date: 1700000000,
            chat: { id: message.chat_id, type: 'private' },
            text: message.text,
          },
        });
      }
      if (entry.url === '/oauth/token' || entry.url === '/google/token') {
        const token = `at-${rand()}-${rand()}`;
        issued.push(token);
        return send(response, 200, { access_token: token, expires_in: 3600, token_type: 'Bearer' });
      }
      // A hostile echo: everything it received, in a 400 answer.
      return send(response, 400, { error: 'bad request', received: entry });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  db = await createTestDatabase({ poolSize: 8 });
  const secretKey = randomBytes(32).toString('base64');
  const env = { VMESH_SECRET_KEY: secretKey, VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' };
  const database = { sql: db.sql, url: db.url, kind: 'external' as const, close: async () => {} };
  engine = await createEngineServices(database, { env, connectors: [httpConnector] });
  const store = createCredentialStore({
    sql: db.sql,
    key: parseSecretKey(secretKey),
    types: credentialTypesOf([httpConnector]),
  });
  await store.set('telegram', 'url-token', { token: botToken });
  await store.set('telegram-wrong', 'url-token', { token: `999:AAH${rand()}-wrong${rand()}` });
  for (const [name, type, secret] of await everyStyle()) await store.set(name, type, secret);
  app = createHttpServer({
    database,
    startedAt: Date.now(),
    version: 'test',
    env: {},
    config: { host: '127.0.0.1', apiToken, publicUrl: 'http://localhost' },
  });
  engine.registerHttp(app, { publicUrl: 'http://127.0.0.1:3000' });
  worker = await engine.startWorker({ concurrency: 2 });
});

afterAll(async () => {
  await worker?.stop();
  await app?.close();
  await new Promise((resolve) => server?.close(resolve));
  await db?.drop();
  for (const undo of restore) undo();
});

const secrets: string[] = [botToken];
let googleKey = '';

/** One stored credential of every style, each with secrets of its own. */
async function everyStyle(): Promise<[string, string, Record<string, unknown>][]> {
  const pair = await generateKeyPair('RS256', { extractable: true });
  googleKey = await exportPKCS8(pair.privateKey);
  const s = () => `s3cr3t-${rand()}-${rand()}`;
  const list: [string, string, Record<string, unknown>][] = [
    ['key-header', 'api-key-header', { name: 'X-Api-Key', value: s() }],
    ['bearer', 'bearer', { token: s() }],
    ['basic', 'basic', { username: `user-${rand()}`, password: s() }],
    ['key-query', 'api-key-query', { name: 'api_key', value: s() }],
    [
      'machine',
      'oauth2-client-credentials',
      { tokenUrl: `${base}/oauth/token`, clientId: 'machine', clientSecret: s() },
    ],
    [
      'google',
      'google-service-account',
      {
        type: 'service_account',
        client_email: 'robot@vmesh-test.iam.gserviceaccount.com',
        private_key: googleKey,
        token_uri: `${base}/google/token`,
        scopes: ['https://www.googleapis.com/auth/drive'],
      },
    ],
    [
      'aws',
      'aws-sigv4',
      {
        accessKeyId: 'AKIDEXAMPLE',
        secretAccessKey: s(),
        sessionToken: s(),
        region: 'us-east-1',
        service: 'execute-api',
      },
    ],
  ];
  for (const [, , secret] of list) {
    for (const [field, value] of Object.entries(secret)) {
      if (['value', 'token', 'password', 'clientSecret', 'secretAccessKey', 'sessionToken'].includes(field))
        secrets.push(String(value));
    }
  }
  secrets.push(googleKey.split('\n')[1] ?? '');
  return list;
}

async function run(name: string, node: Record<string, unknown>) {
  const { id } = await engine.workflows.create({
    schemaVersion: 1,
    name,
    trigger: { type: 'manual' },
    nodes: [{ id: 'call', uses: 'http.request', retry: { maxAttempts: 1 }, ...node }],
    edges: [],
  });
  const { runId } = await startRun(db.sql, id, {});
  return { ...(await waitForRun(db.sql, runId, { timeoutMs: 20_000 })), runId };
}

describe('auth styles on the real worker', () => {
  it('url-token: a Telegram-shaped sendMessage succeeds, the token only ever in the URL sent', async () => {
    const view = await run('telegram', {
      credential: 'telegram',
      with: { method: 'POST', url: `${base}/bot{token}/sendMessage`, body: { chat_id: 42, text: 'hello' } },
    });
    expect(view.status).toBe('succeeded');
    expect(view.output).toMatchObject({
      status: 200,
      body: { ok: true, result: { chat: { id: 42 }, text: 'hello' } },
    });
    expect(seen.some((entry) => entry.url === `/bot${botToken}/sendMessage`)).toBe(true);
    // The step input as recorded keeps the placeholder.
    const recorded = [
      ...(await db.sql`select row_to_json(s)::text as t from steps s where run_id = ${view.runId}`),
      ...(await db.sql`select row_to_json(e)::text as t from run_events e where run_id = ${view.runId}`),
    ].map((row) => String(row.t));
    expect(recorded.join('\n')).toContain('/bot{token}/sendMessage');
  });

  it('url-token: a wrong token fails with E_AUTH and Telegram’s description', async () => {
    const view = await run('telegram wrong', {
      credential: 'telegram-wrong',
      with: { method: 'POST', url: `${base}/bot{token}/sendMessage`, body: { chat_id: 42, text: 'hello' } },
    });
    expect(view.status).toBe('failed');
    expect(JSON.stringify(view.error)).toContain('E_AUTH');
    expect(JSON.stringify(view.error)).toContain('Unauthorized');
    expect(JSON.stringify(view.error)).toContain('/bot{token}/sendMessage');
  });

  it('a {token} URL without a url-token credential is refused before anything is sent', async () => {
    const before = seen.length;
    const view = await run('telegram no credential', {
      credential: 'bearer',
      with: { method: 'POST', url: `${base}/bot{token}/sendMessage`, body: { chat_id: 1, text: 'x' } },
    });
    expect(view.status).toBe('failed');
    expect(JSON.stringify(view.error)).toContain('E_PARAMS');
    expect(seen.length).toBe(before);
  });

  it('every style against an API that echoes the request: each got its credential, none is stored or logged', async () => {
    for (const name of ['key-header', 'bearer', 'basic', 'key-query', 'machine', 'google', 'aws']) {
      const view = await run(`echo ${name}`, {
        credential: name,
        with: { method: 'POST', url: `${base}/echo/${name}`, query: { page: 1 }, body: { hello: name } },
      });
      expect(view.status, name).toBe('failed');
    }
    const echo = (name: string) => seen.find((entry) => entry.url.startsWith(`/echo/${name}`));
    expect(echo('key-header')?.headers['x-api-key']).toMatch(/^s3cr3t-/);
    expect(echo('bearer')?.headers.authorization).toMatch(/^Bearer s3cr3t-/);
    expect(echo('basic')?.headers.authorization).toMatch(/^Basic /);
    expect(echo('key-query')?.url).toMatch(/api_key=s3cr3t-/);
    expect(issued).toHaveLength(2);
    expect(echo('machine')?.headers.authorization).toBe(`Bearer ${issued[0]}`);
    expect(echo('google')?.headers.authorization).toBe(`Bearer ${issued[1]}`);
    expect(echo('aws')?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 /);
    expect(echo('aws')?.headers['x-amz-security-token']).toMatch(/^s3cr3t-/);

    const forms = [...secrets, ...issued].filter(Boolean).flatMap(secretForms);
    const { rows, tables } = await everyRowText(db.sql);
    expect(tables).toEqual(expect.arrayContaining(['runs', 'steps', 'run_events']));
    const answers: string[] = [];
    const auth = { authorization: `Bearer ${apiToken}` };
    const runIds = (await db.sql`select id from runs`).map((row) => String(row.id));
    for (const runId of runIds) {
      for (const url of [`/api/runs/${runId}`, `/api/runs/${runId}/events`]) {
        const response = await app.inject({ method: 'GET', url, headers: auth });
        expect(response.statusCode).toBe(200);
        answers.push(response.body);
      }
    }
    answers.push((await app.inject({ method: 'GET', url: '/api/runs', headers: auth })).body);
    expect(logLines.length).toBeGreaterThan(0);
    for (const [where, text] of [
      ['tables', rows.join('\n')],
      ['API answers', answers.join('\n')],
      ['logs', logLines.join('\n')],
    ] as const) {
      expect(leakedForms(text, forms), where).toEqual([]);
    }
    // The echoes were stored (redacted): the sweep is not vacuous.
    expect(rows.join('\n')).toContain('[REDACTED]');
  });
});
