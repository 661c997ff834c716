import type { ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliEnv, collect, exited, runCli, spawnCli } from '../cli/testing/cli-process.ts';
import { isProcessAlive, parsePostmasterPid } from '../db/cluster/cluster-files.ts';
import { findFreePort } from '../db/free-port.ts';
import { CookieJar } from './web-auth/testing/browser-jar.ts';

/**
 * The README's first run on the embedded default, with real processes: `vmesh start` and CLI commands on one
 * fresh data dir at the same time, `vmesh mcp` as MCP clients drive it, and a server killed with -9. Nothing
 * answers without a credential: the owner signs in with the one-time link `vmesh start` printed.
 */
const dataDirs: string[] = [];
const children: ChildProcess[] = [];

/** A fresh data dir as `mktemp -d` makes it (mode 0700). */
function freshDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vmesh-first-run-'));
  dataDirs.push(dir);
  return dir;
}

function postmasterPid(dataDir: string): number | undefined {
  const file = join(dataDir, 'postgres', 'postmaster.pid');
  return existsSync(file) ? parsePostmasterPid(readFileSync(file, 'utf8'))?.pid : undefined;
}

const alive = (pid: number | undefined): boolean => pid !== undefined && isProcessAlive(pid);

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

type Health = { status: string; database: { ok: boolean; kind: string } };

async function health(port: number): Promise<Health> {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`);
  return (await response.json()) as Health;
}

type Server = { child: ChildProcess; output: ReturnType<typeof collect>; printed: () => string };

function startServer(dataDir: string, port: number, extraEnv: NodeJS.ProcessEnv = {}): Server {
  const child = spawnCli(['start'], {
    env: cliEnv({ VMESH_DATA_DIR: dataDir, PORT: String(port), ...extraEnv }),
    stdin: null,
  });
  children.push(child);
  let printed = '';
  const keep = (chunk: Buffer) => {
    printed += chunk.toString('utf8');
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, output: collect(child, 180_000), printed: () => printed };
}

async function healthyServer(
  dataDir: string,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<Server & { port: number }> {
  const port = await findFreePort();
  const server = startServer(dataDir, port, extraEnv);
  await waitFor('healthz', async () => ((await health(port)).database.ok ? true : undefined));
  return { ...server, port };
}

/** Follows the sign-in link the server printed, as the owner's browser would: the headers of that session. */
async function signInWithPrintedLink(server: Server, port: number): Promise<Record<string, string>> {
  const link = await waitFor(
    'the sign-in link',
    async () => /Open (\S+) to sign in/.exec(server.printed())?.[1],
  );
  expect(new URL(link).origin).toBe(`http://127.0.0.1:${port}`);
  const jar = new CookieJar();
  await (await jar.fetch(link)).text();
  const signedIn = await jar.fetch(link, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: '',
  });
  expect(signedIn.status).toBe(303);
  const session = (await (await jar.fetch(`http://127.0.0.1:${port}/auth/session`)).json()) as {
    user: { name: string };
    session: { csrfToken: string };
  };
  expect(session.user.name).toBe('owner');
  return {
    cookie: jar.cookieHeader(`http://127.0.0.1:${port}/api/`),
    'x-csrf-token': session.session.csrfToken,
  };
}

async function stopped(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number> {
  const started = performance.now();
  child.kill(signal);
  await exited(child);
  return performance.now() - started;
}

async function runThroughApi(port: number, signedIn: Record<string, string>): Promise<string> {
  const api = `http://127.0.0.1:${port}/api`;
  const document = {
    schemaVersion: 1,
    name: 'first run',
    trigger: { type: 'manual' },
    nodes: [{ id: 'greet', uses: 'core.transform', with: { value: 'Hello {{ trigger.name }}' } }],
    edges: [],
  };
  const created = await fetch(`${api}/workflows`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signedIn },
    body: JSON.stringify({ document }),
  });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const started = await fetch(`${api}/workflows/${id}/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signedIn },
    body: JSON.stringify({ input: { name: 'Ada' } }),
  });
  expect(started.status).toBe(202);
  const { runId } = (await started.json()) as { runId: string };
  return waitFor('the run to finish', async () => {
    const view = (await (await fetch(`${api}/runs/${runId}`, { headers: signedIn })).json()) as {
      status: string;
      output: unknown;
    };
    return ['succeeded', 'failed', 'cancelled'].includes(view.status) ? view.status : undefined;
  });
}

afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await new Promise((resolve) => setTimeout(resolve, 500));
  for (const dir of dataDirs) {
    const pid = postmasterPid(dir);
    if (alive(pid)) process.kill(pid as number, 'SIGQUIT');
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('first run on the embedded database (real processes)', () => {
  it('CLI commands and a worker share the running server’s database; the server keeps working; the last process out stops it', async () => {
    const dataDir = freshDataDir();
    // Logging everything: the sign-in link still appears once, in the line meant for the owner.
    const server = await healthyServer(dataDir, { LOG_LEVEL: 'debug' });
    const { child, port } = server;
    const serverPostgres = postmasterPid(dataDir);
    expect(alive(serverPostgres)).toBe(true);

    const env = cliEnv({ VMESH_DATA_DIR: dataDir });
    const [list, search, stored] = await Promise.all([
      runCli(['workflows', 'list', '--json'], { env }),
      runCli(['docs', 'search', 'send a message to a slack channel', '--json'], { env }),
      runCli(['credentials', 'set', 'slack', '--type', 'slack'], { env, stdin: 'xoxb-1111-2222-abcdef' }),
    ]);
    expect(list, list.stderr).toMatchObject({ code: 0 });
    expect(search, search.stderr).toMatchObject({ code: 0 });
    expect(stored, stored.stderr).toMatchObject({ code: 0 });
    expect((JSON.parse(search.stdout) as { id: string }[])[0]?.id).toBe('slack.postMessage');

    // The same PostgreSQL is still there, and the server never lost it.
    expect(postmasterPid(dataDir)).toBe(serverPostgres);
    expect(await health(port)).toMatchObject({ status: 'ok', database: { ok: true, kind: 'embedded' } });
    // Nothing is open without a credential; the link the server printed signs the owner in.
    expect((await fetch(`http://127.0.0.1:${port}/api/workflows`)).status).toBe(401);
    expect(server.printed()).toContain('vmesh login-link owner');
    expect(await runThroughApi(port, await signInWithPrintedLink(server, port))).toBe('succeeded');
    const token = /\/auth\/link\/([A-Za-z0-9_-]+)/.exec(server.printed())?.[1] ?? '';
    expect(server.printed().split(token)).toHaveLength(2);

    // A worker joins; the server stops first: the database stays up for the worker, which stops it last.
    const worker = spawnCli(['worker'], { env, stdin: null });
    children.push(worker);
    let workerOut = '';
    worker.stdout?.on('data', (chunk: Buffer) => {
      workerOut += chunk.toString('utf8');
    });
    await waitFor('the worker to start', async () => (workerOut.includes('started') ? true : undefined));
    const stopMs = await stopped(child);
    expect(stopMs).toBeLessThan(5_000);
    expect(child.exitCode).toBe(0);
    expect(alive(serverPostgres)).toBe(true);
    expect(worker.exitCode).toBeNull();
    const workerStopMs = await stopped(worker);
    expect(workerStopMs).toBeLessThan(5_000);
    expect(worker.exitCode).toBe(0);
    await waitFor(
      'the worker to stop PostgreSQL',
      async () => (alive(serverPostgres) ? undefined : true),
      10_000,
    );
  }, 180_000);

  it('two servers and three CLI commands racing on an empty data dir: one initdb, one cluster, a clear port message', async () => {
    const dataDir = freshDataDir();
    const port = await findFreePort();
    const env = cliEnv({ VMESH_DATA_DIR: dataDir });
    const first = startServer(dataDir, port);
    const second = startServer(dataDir, port);
    const commands = await Promise.all([
      runCli(['migrate'], { env }),
      runCli(['workflows', 'list'], { env }),
      runCli(['credentials', 'list'], { env }),
    ]);
    for (const result of commands) expect(result, result.stderr).toMatchObject({ code: 0 });
    await waitFor('healthz', async () => ((await health(port)).database.ok ? true : undefined));

    // One server listens; the other exited non-zero and said the port is taken.
    const loser = await Promise.race([
      first.output.then((result) => ({ result, winner: second })),
      second.output.then((result) => ({ result, winner: first })),
    ]);
    expect(loser.result.code).not.toBe(0);
    expect(loser.result.stderr).toContain(`Port ${port} on 127.0.0.1 is already in use`);
    expect(readdirSync(dataDir).filter((name) => name.startsWith('postgres.incomplete'))).toEqual([]);
    const pid = postmasterPid(dataDir);
    expect(alive(pid)).toBe(true);
    expect(await runThroughApi(port, await signInWithPrintedLink(loser.winner, port))).toBe('succeeded');
    await stopped(loser.winner.child);
    await waitFor('PostgreSQL to stop', async () => (alive(pid) ? undefined : true), 10_000);
  }, 180_000);

  it('a server killed with -9 leaves its PostgreSQL running; the next process joins it, and the last one out stops it', async () => {
    const dataDir = freshDataDir();
    const { child } = await healthyServer(dataDir);
    const pid = postmasterPid(dataDir);
    await stopped(child, 'SIGKILL');
    expect(alive(pid)).toBe(true);

    const listed = await runCli(['workflows', 'list'], { env: cliEnv({ VMESH_DATA_DIR: dataDir }) });
    expect(listed, listed.stderr).toMatchObject({ code: 0 });
    // The CLI command was the only process left using it: it stopped it on the way out.
    expect(postmasterPid(dataDir)).toBeUndefined();
    await waitFor('PostgreSQL to exit', async () => (alive(pid) ? undefined : true), 10_000);

    const again = await healthyServer(dataDir);
    expect(await runThroughApi(again.port, await signInWithPrintedLink(again, again.port))).toBe('succeeded');
    await stopped(again.child);
  }, 180_000);

  it.runIf(process.getuid?.() === 0)(
    'as root, a data dir of mode 0700 works: the cluster belongs to the postgres user, the secrets stay root’s',
    async () => {
      const dataDir = freshDataDir();
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      const migrated = await runCli(['migrate'], { env: cliEnv({ VMESH_DATA_DIR: dataDir }) });
      expect(migrated, migrated.stderr).toMatchObject({ code: 0 });
      expect(statSync(dataDir).mode & 0o007).toBe(0); // nothing opened to others
      expect(statSync(join(dataDir, 'postgres')).uid).not.toBe(0);
      expect(statSync(join(dataDir, 'postgres-access.json')).mode & 0o077).toBe(0);
      expect(postmasterPid(dataDir)).toBeUndefined();

      // Directories it creates above the data dir are not closed off (mkdir -p), so the server's user reaches it…
      const base = freshDataDir();
      chmodSync(base, 0o755);
      const nested = join(base, 'new', 'parents', 'data');
      const created = await runCli(['migrate'], { env: cliEnv({ VMESH_DATA_DIR: nested }) });
      expect(created, created.stderr).toMatchObject({ code: 0 });
      expect(statSync(join(base, 'new')).mode & 0o777).toBe(0o755);
      // …and a closed directory above it that is not the data dir is named, with the fix.
      const closed = join(freshDataDir(), 'data');
      const refused = await runCli(['migrate'], { env: cliEnv({ VMESH_DATA_DIR: closed }) });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain(`cannot enter ${dirname(closed)}`);
      expect(refused.stderr).toContain(`chmod o+x ${dirname(closed)}`);
    },
    120_000,
  );

  it('a normal user runs the embedded database in a data dir of its own', async () => {
    const uid = process.getuid?.() === 0 ? 65534 : undefined;
    const dataDir = freshDataDir();
    if (uid !== undefined) chownSync(dataDir, uid, uid);
    const migrated = await runCli(['migrate'], {
      env: cliEnv({ VMESH_DATA_DIR: dataDir, HOME: dataDir }),
      ...(uid !== undefined ? { uid, gid: uid } : {}),
    });
    expect(migrated, migrated.stderr).toMatchObject({ code: 0 });
    expect(existsSync(join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);
    if (uid !== undefined) expect(statSync(join(dataDir, 'postgres')).uid).toBe(uid);
  }, 120_000);
});
