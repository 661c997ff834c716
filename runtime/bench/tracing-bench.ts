// The `tracing` key of `npm run bench:engine -- --json`; also runs alone:
//   node bin/run-ts.mjs runtime/bench/tracing-bench.ts --json
// Throughput with tracing off and on (spans exported over OTLP/HTTP to a local sink in another process), in the same
// run, rounds interleaved in ABBA order so a drift of the machine's load hits both modes alike.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { httpConnector } from '../../connectors/http/connector.ts';
import { createSqlClient } from '../../db/index.ts';
import { startTracing } from '../../lib/index.ts';
import { startRun } from '../engine/engine.ts';
import { createEngineServices } from '../services.ts';
import { SETTLED_RUN } from '../store/run-status.ts';
import { runBenchMain } from './bench-database.ts';

export type TracingModeResult = {
  /** 10-step core.transform chains, 200 in flight. */
  pureChain10WorkflowsPerSec: number;
  /** 10-step http.request chains against a local server (10 client spans each with tracing on), 50 in flight. */
  actionChain10WorkflowsPerSec: number;
};

export type TracingCostResult = {
  rounds: number;
  off: TracingModeResult;
  on: TracingModeResult;
  /** Throughput with tracing on over throughput with tracing off (1 = no cost). */
  ratios: { pureChain10OnVsOff: number; actionChain10OnVsOff: number };
  /** What the sink received while tracing was on: export requests and spans. */
  exported: { requests: number; spans: number };
};

/** An OTLP/HTTP sink in its own process: answers every export 200 and counts requests and spans. */
const SINK = `
const http = require('node:http');
let requests = 0, spans = 0;
const server = http.createServer((request, response) => {
  if (request.method === 'GET') { response.end(JSON.stringify({ requests, spans })); return; }
  let body = '';
  request.on('data', (chunk) => { body += chunk; });
  request.on('end', () => {
    requests += 1;
    spans += (body.match(/"spanId"/g) || []).length;
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

const round = (value: number) => Math.round(value * 100) / 100;
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

/** Measures on the given database (migrated, worker schema installed); starts and stops its own worker. */
export async function measureTracingCost(
  url: string,
  concurrency = 10,
  rounds = 4,
): Promise<TracingCostResult> {
  const sql = createSqlClient(url, { max: 20 });
  const sink = spawn(process.execPath, ['-e', SINK], { stdio: ['ignore', 'pipe', 'ignore'] });
  const sinkPort = await new Promise<string>((resolve) =>
    sink.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString('utf8').trim())),
  );
  const sinkUrl = `http://127.0.0.1:${sinkPort}`;
  const target = createServer((request, response) => {
    request.resume();
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  const targetPort = (target.address() as { port: number }).port;
  const engine = await createEngineServices(
    { sql, url, kind: 'external', close: async () => {} },
    {
      env: {
        ...process.env,
        VMESH_SECRET_KEY: Buffer.alloc(32, 5).toString('base64'),
        VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1',
      },
      connectors: [httpConnector],
    },
  );
  const worker = await engine.startWorker({ concurrency });
  try {
    const chain = (name: string, node: (i: number) => { uses: string; with: Record<string, unknown> }) => ({
      schemaVersion: 1,
      name: `${name} ${Date.now()}`,
      trigger: { type: 'manual' },
      nodes: Array.from({ length: 10 }, (_, i) => ({ id: `n${i}`, ...node(i) })),
      edges: Array.from({ length: 9 }, (_, i) => ({ from: `n${i}`, to: `n${i + 1}` })),
    });
    const pure = await engine.workflows.create(
      chain('traced pure chain', (i) => ({
        uses: 'core.transform',
        with: { value: i === 0 ? '{{ 1 }}' : `{{ steps.n${i - 1}.output + 1 }}` },
      })),
    );
    const action = await engine.workflows.create(
      chain('traced action chain', (i) => ({
        uses: 'http.request',
        with: { method: 'GET', url: `http://127.0.0.1:${targetPort}/step/${i}` },
      })),
    );
    const perSec = async (workflowId: string, count: number): Promise<number> => {
      const started = performance.now();
      const ids = await Promise.all(
        Array.from({ length: count }, async () => (await startRun(sql, workflowId, {})).runId),
      );
      for (;;) {
        const [row] = await sql`
          select count(*)::int as n from runs where id = any(${ids}) and status in ${sql([...SETTLED_RUN])}`;
        if (Number(row?.n) === count) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return count / ((performance.now() - started) / 1000);
    };
    // Warm-up: caches, JIT, the SDK's first load.
    await perSec(pure.id, 50);
    await perSec(action.id, 20);
    const samples = {
      off: { pure: [] as number[], action: [] as number[] },
      on: { pure: [] as number[], action: [] as number[] },
    };
    for (let i = 0; i < rounds; i++) {
      // ABBA order (off on, on off, …): a load that drifts during the bench weighs on both modes alike.
      const order = i % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const);
      for (const mode of order) {
        const tracing =
          mode === 'on'
            ? await startTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl, OTEL_BSP_SCHEDULE_DELAY: '200' })
            : undefined;
        if (mode === 'on' && !tracing?.enabled) throw new Error('tracing did not start');
        samples[mode].pure.push(await perSec(pure.id, 200));
        samples[mode].action.push(await perSec(action.id, 50));
        // The last batch is exported (and counted) before the next round.
        await tracing?.stop();
      }
    }
    const result = (mode: 'off' | 'on'): TracingModeResult => ({
      pureChain10WorkflowsPerSec: round(median(samples[mode].pure)),
      actionChain10WorkflowsPerSec: round(median(samples[mode].action)),
    });
    const off = result('off');
    const on = result('on');
    const exported = (await (await fetch(sinkUrl)).json()) as { requests: number; spans: number };
    return {
      rounds,
      off,
      on,
      ratios: {
        pureChain10OnVsOff: round(on.pureChain10WorkflowsPerSec / off.pureChain10WorkflowsPerSec),
        actionChain10OnVsOff: round(on.actionChain10WorkflowsPerSec / off.actionChain10WorkflowsPerSec),
      },
      exported,
    };
  } finally {
    await worker.stop();
    target.closeAllConnections();
    await new Promise((resolve) => target.close(resolve));
    sink.kill('SIGTERM');
    await sql.end({ timeout: 5 });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runBenchMain('tracing', 'tracing', 200, measureTracingCost);
}
