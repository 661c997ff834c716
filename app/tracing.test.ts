import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { cliEnv, spawnCli } from '../cli/testing/cli-process.ts';
import { findFreePort } from '../db/free-port.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from './testing/otlp-receiver.ts';
import { startRecordingServer } from './testing/recording-server.ts';

// `vmesh start` (no worker) and a separate `vmesh worker`, both exporting to a local OTLP/HTTP receiver: a webhook
// delivery with a traceparent starts a run whose HTTP step calls a local server, and the spans of both processes
// form one tree in the sender's trace.

const TOKEN = 'tracing-test-token-0123456789';
const SENDER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SENDER_SPAN = '00f067aa0ba902b7';
const SPAN_KIND = { internal: 1, server: 2, client: 3 };

let db: TestDatabase;
let receiver: OtlpReceiver;
let target: Awaited<ReturnType<typeof startRecordingServer>>;
const children: ChildProcess[] = [];
let serverOut = '';
let workerOut = '';
let port: number;

async function waitFor(output: () => string, text: string, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!output().includes(text)) {
    if (Date.now() > deadline) throw new Error(`${what} did not start:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 6 });
  receiver = await startOtlpReceiver();
  target = await startRecordingServer();
  port = await findFreePort();
  const env = cliEnv({
    DATABASE_URL: db.url,
    LOG_LEVEL: 'info',
    VMESH_API_TOKEN: TOKEN,
    VMESH_SECRET_KEY: Buffer.alloc(32, 22).toString('base64'),
    VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_BSP_SCHEDULE_DELAY: '100',
  });
  const server = spawnCli(['start'], {
    env: { ...env, PORT: String(port), VMESH_NO_WORKER: '1' },
    stdin: null,
  });
  children.push(server);
  server.stdout?.on('data', (chunk: Buffer) => {
    serverOut += chunk.toString('utf8');
  });
  await waitFor(() => serverOut, 'VelocityMesh is listening', 'the server');
  const worker = spawnCli(['worker'], { env, stdin: null });
  children.push(worker);
  worker.stdout?.on('data', (chunk: Buffer) => {
    workerOut += chunk.toString('utf8');
  });
  await waitFor(() => workerOut, 'worker started', 'the worker');
}, 120_000);

afterAll(async () => {
  for (const child of children) {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  await target?.close();
  await receiver?.close();
  await db?.drop();
});

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

async function spansOf(traceId: string, count: number): Promise<ReceivedSpan[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const spans = receiver.spans.filter((span) => span.traceId === traceId);
    if (spans.length >= count) return spans;
    if (Date.now() > deadline)
      throw new Error(`${spans.length} spans of ${traceId}: ${JSON.stringify(spans.map((s) => s.name))}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('traces of a webhook-started run, server and worker in two processes', () => {
  it('webhook → run → step → HTTP client span in the sender’s trace; the called server gets that traceparent', async () => {
    const created = z.object({ id: z.string() }).parse(
      await api('POST', '/api/workflows', {
        document: {
          schemaVersion: 1,
          name: 'traced order',
          trigger: { type: 'webhook' },
          nodes: [
            {
              id: 'notify',
              uses: 'http.request',
              with: {
                method: 'POST',
                url: `${target.url}/orders?page=1`,
                body: { order: '{{ trigger.body.id }}' },
              },
            },
          ],
          edges: [],
        },
      }),
    );
    await api('POST', `/api/workflows/${created.id}/activate`, {});
    const { hook } = z
      .object({ hook: z.object({ secret: z.string() }) })
      .parse(await api('GET', `/api/workflows/${created.id}`));

    const delivery = await fetch(`http://127.0.0.1:${port}/hooks/${created.id}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-vmesh-secret': hook.secret,
        traceparent: `00-${SENDER_TRACE}-${SENDER_SPAN}-01`,
      },
      body: JSON.stringify({ id: 'A-17' }),
    });
    expect(delivery.status).toBe(202);
    const { runId } = z.object({ runId: z.string() }).parse(await delivery.json());
    const run = await finishedRun(runId);
    expect(run).toEqual({ status: 'succeeded', traceId: SENDER_TRACE });

    const spans = await spansOf(SENDER_TRACE, 4);
    const webhook = spans.find((span) => span.kind === SPAN_KIND.server);
    expect(webhook).toMatchObject({
      name: 'POST /hooks/:workflowId',
      parentSpanId: SENDER_SPAN,
      service: 'velocitymesh',
      attributes: { 'http.route': '/hooks/:workflowId', 'http.response.status_code': 202 },
    });
    const runSpan = spans.find((span) => span.name === `run ${created.id}`);
    expect(runSpan).toMatchObject({
      parentSpanId: webhook?.spanId,
      kind: SPAN_KIND.internal,
      attributes: { 'vmesh.run.id': runId, 'vmesh.run.status': 'succeeded', 'vmesh.run.trigger': 'webhook' },
    });
    const step = spans.find((span) => span.name === 'step notify');
    expect(step).toMatchObject({
      parentSpanId: runSpan?.spanId,
      attributes: { 'vmesh.step.id': 'notify', 'vmesh.step.uses': 'http.request', 'vmesh.step.attempt': 1 },
    });
    const client = spans.find((span) => span.kind === SPAN_KIND.client);
    expect(client).toMatchObject({
      name: 'POST',
      parentSpanId: step?.spanId,
      attributes: {
        'http.request.method': 'POST',
        'server.address': '127.0.0.1',
        'server.port': Number(new URL(target.url).port),
        'http.response.status_code': 200,
      },
    });
    // The run lasts from its creation to its end; the step and its request happen inside it.
    expect(runSpan && step && runSpan.startNs <= step.startNs && step.endNs <= runSpan.endNs).toBe(true);

    // What the called server received: the client span's context, in the sender's trace.
    const call = target.received.find((request) => request.path === '/orders?page=1');
    expect(call?.headers.traceparent).toBe(`00-${SENDER_TRACE}-${client?.spanId}-01`);

    // No span carries a URL path, query, header or body: only the attributes named above.
    const everything = JSON.stringify(spans.map((span) => ({ ...span, startNs: 0, endNs: 0 })));
    for (const leak of [hook.secret, 'page=1', '/orders', 'A-17', TOKEN])
      expect(everything).not.toContain(leak);
    expect(receiver.errors).toEqual([]);
    expect(receiver.requests.every((request) => request.contentType?.startsWith('application/json'))).toBe(
      true,
    );

    // The server's run log and access line name the same trace.
    const lines = serverOut
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.find((line) => line.event === 'run.succeeded' && line.runId === runId)).toMatchObject({
      traceId: SENDER_TRACE,
    });
    expect(
      lines.find((line) => line.event === 'http.request' && line.route === '/hooks/:workflowId'),
    ).toMatchObject({ method: 'POST', status: 202, traceId: SENDER_TRACE });
  });
});
