import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { expect } from 'vitest';
import type { TestDatabase } from '../../../db/testing/test-database.ts';
import type { EngineServices } from '../../services.ts';
import { getRunView, waitForRun } from '../../store/run-store.ts';
import { startRun } from '../engine.ts';
import { eventually, type WorkerChild } from './spawn-worker.ts';

/**
 * A worker process takes an http.request step and is frozen (SIGSTOP) with the request in flight; after the
 * lease another worker's sweeper releases the job and runs the step again, its request held too. While the
 * second attempt is still running, the frozen worker gets its answer and is resumed (SIGCONT): the step row
 * is still 'running', so only the fence can reject that late result. Then the second attempt finishes.
 */
export async function runFencingScenario(options: {
  db: TestDatabase;
  engine: EngineServices;
  leaseMs: number;
  spawn(leaseMs: number): Promise<WorkerChild>;
}): Promise<void> {
  const { db, engine, leaseMs } = options;
  const held: ServerResponse[] = [];
  let calls = 0;
  let frozen: WorkerChild | undefined;
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    calls += 1;
    request.resume();
    if (calls === 1) frozen?.child.kill('SIGSTOP');
    held.push(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/effect`;
  try {
    const { id } = await engine.workflows.create({
      schemaVersion: 1,
      name: `fenced ${leaseMs}`,
      trigger: { type: 'manual' },
      nodes: [
        { id: 'call', uses: 'http.request', with: { method: 'POST', url, body: {}, timeoutMs: 120_000 } },
      ],
      edges: [],
    });
    frozen = await options.spawn(leaseMs);
    const { runId } = await startRun(db.sql, id, {});
    await eventually(async () => held.length === 1, 20_000, 'the first worker to send the request');
    const survivor = await engine.startWorker({ concurrency: 2, leaseMs });
    try {
      await eventually(
        async () => held.length === 2,
        4 * leaseMs + 10_000,
        'the second attempt to send the request',
      );
      const [running] = await db.sql`select status, fence from steps where run_id = ${runId}`;
      expect(running).toMatchObject({ status: 'running' });
      expect(Number(running?.fence)).toBe(2);
      // The frozen worker's answer arrives while the second attempt is still in flight.
      held[0]?.writeHead(200, { 'content-type': 'application/json' });
      held[0]?.end(JSON.stringify({ by: 'frozen' }));
      frozen.child.kill('SIGCONT');
      // A graceful stop waits for its in-flight step, so by its exit the late result was offered and refused.
      frozen.child.kill('SIGTERM');
      expect((await frozen.exited).code).toBe(0);
      const [still] = await db.sql`select status, output from steps where run_id = ${runId}`;
      expect(still).toMatchObject({ status: 'running', output: null });
      held[1]?.writeHead(200, { 'content-type': 'application/json' });
      held[1]?.end(JSON.stringify({ by: 'second' }));
      const view = await waitForRun(db.sql, runId, { timeoutMs: 20_000 });
      expect(view.status).toBe('succeeded');
      expect(view.output).toMatchObject({ body: { by: 'second' } });
      const succeeded = await db.sql`
        select count(*)::int as n from run_events where run_id = ${runId} and type = 'step.succeeded'`;
      expect(succeeded[0]?.n).toBe(1);
      expect((await getRunView(db.sql, runId)).output).toMatchObject({ body: { by: 'second' } });
      expect(calls).toBe(2);
    } finally {
      await survivor.stop();
    }
  } finally {
    for (const response of held) response.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
