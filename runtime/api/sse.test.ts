import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../app/server.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import type { EngineWorker } from '../engine/worker.ts';
import { createEngineServices } from '../services.ts';

// GET /api/runs/:id/events over a real socket while a real worker runs the run; the run waits on a
// core.delay, which must be a graphile-worker job with run_at (durable), not a timer in memory.

let db: TestDatabase;
let app: FastifyInstance;
let worker: EngineWorker;
let base = '';
const token = 'sse-token-0123456789abcdef';
const auth = { authorization: `Bearer ${token}` };

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 10 });
  const engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    { env: { VMESH_SECRET_KEY: Buffer.alloc(32, 3).toString('base64') }, connectors: [] },
  );
  app = createHttpServer({
    database: { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    startedAt: Date.now(),
    version: 'test',
    env: {},
    config: { host: '127.0.0.1', apiToken: token, publicUrl: 'http://localhost' },
  });
  engine.registerHttp(app, { publicUrl: 'http://127.0.0.1:3000' });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  worker = await engine.startWorker({ concurrency: 4 });
});
afterAll(async () => {
  await worker.stop();
  await app.close();
  await db.drop();
});

type SseEvent = { id: number; event: string; data: Record<string, unknown> };

/** Reads an SSE stream to its end, calling `onEvent` as each event arrives. */
async function readStream(
  response: Response,
  onEvent: (event: SseEvent) => Promise<void>,
): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  if (!response.body) throw new Error('no body');
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = new Map<string, string>();
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
      }
      if (!fields.has('event')) continue;
      const event = {
        id: Number(fields.get('id')),
        event: String(fields.get('event')),
        data: JSON.parse(fields.get('data') ?? '{}') as Record<string, unknown>,
      };
      events.push(event);
      await onEvent(event);
    }
  }
  return events;
}

describe('GET /api/runs/:id/events', () => {
  it('needs the bearer token', async () => {
    const none = await fetch(`${base}/api/runs/run_missing/events`);
    expect(none.status).toBe(401);
    await none.body?.cancel();
    const wrong = await fetch(`${base}/api/runs/run_missing/events`, {
      headers: { authorization: 'Bearer not-the-token' },
    });
    expect(wrong.status).toBe(401);
    await wrong.body?.cancel();
  });

  it('streams a live run in order through a durable core.delay and ends on the terminal event', async () => {
    const created = await fetch(`${base}/api/workflows`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        document: {
          schemaVersion: 1,
          name: 'waits',
          trigger: { type: 'manual' },
          nodes: [
            { id: 'before', uses: 'core.transform', with: { value: 1 } },
            { id: 'pause', uses: 'core.delay', with: { ms: 1_500 } },
            { id: 'after', uses: 'core.transform', with: { value: '{{ steps.before.output + 1 }}' } },
          ],
          edges: [
            { from: 'before', to: 'pause' },
            { from: 'pause', to: 'after' },
          ],
        },
      }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const started = await fetch(`${base}/api/workflows/${id}/runs`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ input: {} }),
    });
    expect(started.status).toBe(202);
    const { runId } = (await started.json()) as { runId: string };
    const stream = await fetch(`${base}/api/runs/${runId}/events`, { headers: auth });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    let delayJob: { runAt: Date; wakeAt: Date; until: string } | undefined;
    const events = await readStream(stream, async (event) => {
      if (event.event !== 'step.waiting' || event.data.nodeId !== 'pause') return;
      // While the run waits, its wake-up is a queued job with run_at = the step's wake time.
      const [row] = await db.sql`
        select j.run_at, s.wake_at from graphile_worker._private_jobs j
        join steps s on s.run_id = j.payload->>'runId' and s.node_id = j.payload->>'nodeId' and s.path = j.payload->>'path'
        where j.payload->>'runId' = ${runId} and j.payload->>'nodeId' = 'pause'`;
      if (row)
        delayJob = { runAt: row.runAt as Date, wakeAt: row.wakeAt as Date, until: String(event.data.until) };
    });
    const types = events.map((event) => event.event);
    expect(types[0]).toBe('run.created');
    expect(types.at(-1)).toBe('run.succeeded');
    expect(types.filter((type) => type === 'run.succeeded')).toHaveLength(1);
    const order = events
      .filter((event) => event.event === 'step.succeeded')
      .map((event) => event.data.nodeId);
    expect(order).toEqual(['before', 'pause', 'after']);
    expect(types.indexOf('step.waiting')).toBeLessThan(types.lastIndexOf('step.succeeded'));
    const ids = events.map((event) => event.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    if (!delayJob) throw new Error('the delay was not a queued job while the run waited');
    expect(delayJob.runAt.getTime()).toBe(new Date(delayJob.until).getTime());
    expect(delayJob.wakeAt.getTime()).toBe(delayJob.runAt.getTime());
    const createdAt = events[0]?.data.at as string;
    expect(delayJob.runAt.getTime() - new Date(createdAt).getTime()).toBeGreaterThanOrEqual(1_400);
    const run = await fetch(`${base}/api/runs/${runId}`, { headers: auth });
    expect(await run.json()).toMatchObject({ status: 'succeeded', output: 2 });
  }, 20_000);
});
