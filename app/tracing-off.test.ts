import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { cliEnv, runCli, spawnCli } from '../cli/testing/cli-process.ts';
import { findFreePort } from '../db/free-port.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { type OtlpReceiver, startOtlpReceiver } from './testing/otlp-receiver.ts';
import { startRecordingServer } from './testing/recording-server.ts';

// `vmesh start` without OTEL_EXPORTER_OTLP_ENDPOINT: nothing is exported (a receiver waits on the OTLP default
// port, 4318), yet every run has a correlation id that its log lines, its view and its outbound requests carry.
// Its log is read as the process prints it: access lines without tokens, credential lines without values.

const TOKEN = 'tracing-off-token-0123456789abcdef';
const QUERY_SECRET = 'q-secret-5f1c2e9a7b3d';
const COOKIE_SECRET = 'cookie-secret-8d2b6a4f';
const CREDENTIAL_VALUE = 'bearer-value-3e7a9c1d5b';
const SENDER_TRACE = '0af7651916cd43dd8448eb211c80319c';
const SENDER_SPAN = 'b7ad6b7169203331';
const KEY = Buffer.alloc(32, 23).toString('base64');

let db: TestDatabase;
let defaultPortReceiver: OtlpReceiver;
let target: Awaited<ReturnType<typeof startRecordingServer>>;
let child: ChildProcess;
let printed = '';
let port: number;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 4 });
  // Where an OTLP exporter sends by default: nothing may arrive here.
  defaultPortReceiver = await startOtlpReceiver({ port: 4318 });
  target = await startRecordingServer();
  port = await findFreePort();
  env = cliEnv({
    DATABASE_URL: db.url,
    LOG_LEVEL: 'info',
    VMESH_API_TOKEN: TOKEN,
    VMESH_SECRET_KEY: KEY,
    VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1',
    // Other OTEL settings do not turn tracing on.
    OTEL_SERVICE_NAME: 'velocitymesh-off',
    OTEL_BSP_SCHEDULE_DELAY: '50',
  });
  child = spawnCli(['start'], { env: { ...env, PORT: String(port) }, stdin: null });
  child.stdout?.on('data', (chunk: Buffer) => {
    printed += chunk.toString('utf8');
  });
  const deadline = Date.now() + 60_000;
  while (!printed.includes('VelocityMesh is listening')) {
    if (Date.now() > deadline) throw new Error(`the server did not start:\n${printed}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}, 120_000);

afterAll(async () => {
  child?.kill('SIGTERM');
  await new Promise((resolve) => child?.once('exit', resolve));
  await target?.close();
  await defaultPortReceiver?.close();
  await db?.drop();
});

type Line = Record<string, unknown>;
const lines = (): Line[] =>
  printed
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Line);

async function logged(match: (line: Line) => boolean, what: string): Promise<Line> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const line = lines().find(match);
    if (line) return line;
    if (Date.now() > deadline) throw new Error(`no ${what} line:\n${printed.slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function api(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response.json();
}

async function finishedRun(runId: string): Promise<{ status: string; traceId: string | null }> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const view = z
      .object({ status: z.string(), traceId: z.string().nullable() })
      .parse(await api('GET', `/api/runs/${runId}`));
    if (['succeeded', 'failed', 'cancelled'].includes(view.status)) return view;
    if (Date.now() > deadline) throw new Error(`run ${runId} is still ${view.status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;

describe('tracing off: correlation ids without telemetry', () => {
  let workflowId: string;
  let hookSecret: string;

  beforeAll(async () => {
    const created = z.object({ id: z.string() }).parse(
      await api('POST', '/api/workflows', {
        document: {
          schemaVersion: 1,
          name: 'correlated',
          trigger: { type: 'webhook' },
          nodes: [
            {
              id: 'notify',
              uses: 'http.request',
              with: { method: 'POST', url: `${target.url}/notify`, body: { run: '{{ trigger.body.n }}' } },
            },
          ],
          edges: [],
        },
      }),
    );
    workflowId = created.id;
    await api('POST', `/api/workflows/${workflowId}/activate`, {});
    hookSecret = z
      .object({ hook: z.object({ secret: z.string() }) })
      .parse(await api('GET', `/api/workflows/${workflowId}`)).hook.secret;
  });

  async function deliver(n: number, traceparent?: string): Promise<string> {
    const answer = await fetch(`http://127.0.0.1:${port}/hooks/${workflowId}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-vmesh-secret': hookSecret,
        ...(traceparent ? { traceparent } : {}),
      },
      body: JSON.stringify({ n }),
    });
    expect(answer.status).toBe(202);
    return z.object({ runId: z.string() }).parse(await answer.json()).runId;
  }

  it("a delivery's traceparent is the run's correlation id: in its view, its log lines and its step's request", async () => {
    const runId = await deliver(1, `00-${SENDER_TRACE}-${SENDER_SPAN}-01`);
    expect(await finishedRun(runId)).toEqual({ status: 'succeeded', traceId: SENDER_TRACE });
    const sent = target.received.at(-1)?.headers.traceparent;
    const [, traceId, spanId] = TRACEPARENT.exec(String(sent)) ?? [];
    expect(traceId).toBe(SENDER_TRACE);
    // The run's own span id, not the sender's.
    expect(spanId).not.toBe(SENDER_SPAN);
    expect(
      await logged((line) => line.event === 'run.succeeded' && line.runId === runId, 'run.succeeded'),
    ).toMatchObject({ traceId: SENDER_TRACE });
    expect(
      await logged(
        (line) => line.event === 'http.request' && line.traceId === SENDER_TRACE,
        'access line of the delivery',
      ),
    ).toMatchObject({ method: 'POST', route: '/hooks/:workflowId', status: 202 });
  });

  it('a delivery without one, and a run started by hand, get a new trace id that their requests carry', async () => {
    const before = target.received.length;
    const hooked = await deliver(2);
    const hookedView = await finishedRun(hooked);
    expect(hookedView.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(hookedView.traceId).not.toBe(SENDER_TRACE);
    expect(TRACEPARENT.exec(String(target.received[before]?.headers.traceparent))?.[1]).toBe(
      hookedView.traceId,
    );
    // The delivery's access line and the run share the id.
    await logged(
      (line) => line.event === 'http.request' && line.traceId === hookedView.traceId,
      'access line with the new trace id',
    );

    const manual = z
      .object({ runId: z.string() })
      .parse(await api('POST', `/api/workflows/${workflowId}/runs`, { input: { body: { n: 3 } } }));
    const manualView = await finishedRun(manual.runId);
    expect(manualView.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(manualView.traceId).not.toBe(hookedView.traceId);
    expect(TRACEPARENT.exec(String(target.received.at(-1)?.headers.traceparent))?.[1]).toBe(
      manualView.traceId,
    );
    expect(
      await logged((line) => line.event === 'run.created' && line.runId === manual.runId, 'run.created'),
    ).toMatchObject({ traceId: manualView.traceId });
  });

  it('access lines: method, route pattern, status, duration, request id; no token, query or cookie', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/api/workflows?token=${QUERY_SECRET}&limit=5`, {
      headers: { authorization: `Bearer ${TOKEN}`, cookie: `vmesh_session=${COOKIE_SECRET}` },
    });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    const refused = await fetch(`http://127.0.0.1:${port}/api/workflows?access_token=${QUERY_SECRET}`, {
      headers: { authorization: `Bearer not-the-token-${QUERY_SECRET}` },
    });
    expect(refused.status).toBe(401);
    const missing = await fetch(`http://127.0.0.1:${port}/nowhere/${QUERY_SECRET}`);
    expect(missing.status).toBe(404);

    const line = await logged(
      (entry) => entry.event === 'http.request' && entry.route === '/api/workflows' && entry.status === 200,
      'access line',
    );
    expect(line).toMatchObject({ level: 30, method: 'GET', msg: 'request' });
    expect(line.durationMs).toEqual(expect.any(Number));
    expect(line.requestId).toEqual(expect.any(String));
    await logged(
      (entry) => entry.event === 'http.request' && entry.route === '/api/workflows' && entry.status === 401,
      'access line of the refused request',
    );
    await logged(
      (entry) => entry.event === 'http.request' && entry.route === null && entry.status === 404,
      'access line of an unrouted request',
    );
    for (const secret of [TOKEN, QUERY_SECRET, COOKIE_SECRET, hookSecret])
      expect(printed).not.toContain(secret);
  });

  it('credential lines name the credential, never its value', async () => {
    const set = await runCli(['credentials', 'set', 'shop-key', '--type', 'bearer'], {
      env,
      stdin: `${CREDENTIAL_VALUE}\n`,
    });
    expect(set.code, set.stderr).toBe(0);
    const removed = await fetch(`http://127.0.0.1:${port}/api/credentials/shop-key`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(removed.status).toBeLessThan(300);
    expect(await logged((line) => line.event === 'credential.deleted', 'credential.deleted')).toMatchObject({
      level: 30,
      credential: 'shop-key',
      msg: 'credential deleted',
    });
    expect(printed).not.toContain(CREDENTIAL_VALUE);
  });

  it('a decision on a proposal is one line: proposal id, kind, workflow, who decided, outcome', async () => {
    await db.sql`
      insert into proposals (id, kind, document, summary, workflow_id, created_by)
      values ('prop_logged_1', 'change', null, 'rename the hook', ${workflowId}, 'someone else')`;
    const answer = await fetch(`http://127.0.0.1:${port}/chat/api/decisions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ proposalId: 'prop_logged_1', decision: 'reject' }),
    });
    expect(answer.status).toBe(200);
    const line = await logged(
      (entry) => entry.event === 'proposal.decided' && entry.proposalId === 'prop_logged_1',
      'proposal.decided',
    );
    expect(line).toMatchObject({ level: 30, kind: 'change', workflowId, outcome: 'rejected' });
    expect(line.decidedBy).toEqual(expect.any(String));
  });

  it('exported nothing: no request reached the OTLP default port', async () => {
    // Longer than the batch delay a tracer would use (OTEL_BSP_SCHEDULE_DELAY=50).
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(defaultPortReceiver.requests).toEqual([]);
  });
});
