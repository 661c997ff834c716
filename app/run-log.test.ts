import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, spawnCli } from '../cli/testing/cli-process.ts';
import { findFreePort } from '../db/free-port.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';

// `vmesh start` as a process: its JSON log has one line per run transition and per failed step.

const TOKEN = 'run-log-test-token-0123456789';
let db: TestDatabase;
let child: ChildProcess;
let port: number;
let printed = '';

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 4 });
  port = await findFreePort();
  child = spawnCli(['start'], {
    env: cliEnv({
      DATABASE_URL: db.url,
      PORT: String(port),
      LOG_LEVEL: 'info',
      VMESH_API_TOKEN: TOKEN,
      VMESH_SECRET_KEY: Buffer.alloc(32, 21).toString('base64'),
    }),
    stdin: null,
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    printed += chunk.toString('utf8');
  });
  const deadline = Date.now() + 60_000;
  while (!printed.includes('VelocityMesh is listening')) {
    if (Date.now() > deadline) throw new Error(`the server did not start:\n${printed}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}, 90_000);
afterAll(async () => {
  child?.kill('SIGTERM');
  await new Promise((resolve) => child?.once('exit', resolve));
  await db?.drop();
});

type Line = Record<string, unknown>;
const lines = (): Line[] =>
  printed
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Line);

async function api(path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(body),
  });
  return (await response.json()) as Record<string, unknown>;
}

async function logged(runId: string, event: string): Promise<Line> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const line = lines().find((entry) => entry.runId === runId && entry.event === event);
    if (line) return line;
    if (Date.now() > deadline) throw new Error(`no ${event} line for ${runId}:\n${printed.slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the run log of vmesh start', () => {
  it('logs created, failed step, failed and succeeded runs with ids, step, attempt, duration and code — no data', async () => {
    const created = await api('/api/workflows', {
      document: {
        schemaVersion: 1,
        name: 'logged',
        trigger: { type: 'manual' },
        nodes: [
          {
            id: 'check',
            uses: 'core.code',
            retry: { maxAttempts: 1 },
            with: {
              code: 'if (input.n > 5) throw new Error("too big: " + input.secretish); return input.n',
              input: '{{ trigger }}',
            },
          },
        ],
        edges: [],
      },
    });
    const workflowId = String(created.id);
    const ok = (await api(`/api/workflows/${workflowId}/runs`, { input: { n: 1 } })) as { runId: string };
    const bad = (await api(`/api/workflows/${workflowId}/runs`, {
      input: { n: 9, secretish: 'do-not-log-me' },
    })) as {
      runId: string;
    };

    expect(await logged(ok.runId, 'run.created')).toMatchObject({
      level: 30,
      workflowId,
      version: 1,
      trigger: 'manual',
    });
    const succeeded = await logged(ok.runId, 'run.succeeded');
    expect(succeeded).toMatchObject({ level: 30, msg: 'run succeeded', workflowId });
    expect(succeeded.durationMs).toEqual(expect.any(Number));
    const stepFailed = await logged(bad.runId, 'step.failed');
    expect(stepFailed).toMatchObject({ level: 40, msg: 'step failed', step: 'check', attempt: 1 });
    expect(stepFailed.errorCode).toEqual(expect.any(String));
    expect(await logged(bad.runId, 'run.failed')).toMatchObject({ level: 40, step: 'check', workflowId });
    expect(printed).not.toContain('do-not-log-me');
    // Each transition once.
    expect(lines().filter((line) => line.runId === ok.runId && line.event === 'run.succeeded')).toHaveLength(
      1,
    );
  });
});
