import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { appendFile, chown, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import postgres from 'postgres';
import lockfile from 'proper-lockfile';
import { connectionTarget } from '../client.ts';
import { findFreePort } from '../free-port.ts';
import { loadPostgresBinaries, type PostgresBinaries } from './binaries.ts';
import {
  clusterPaths,
  loadOrCreateAccess,
  type Postmaster,
  readPostmaster,
  readUsers,
  readUsersSync,
  remainingUsers,
  type StoredAccess,
  writeServerState,
  writeUsers,
  writeUsersSync,
} from './cluster-files.ts';
import { type RunAs, runCommand } from './run-command.ts';
import { prepareClusterDirectory, serverRunAs } from './server-user.ts';

export type EmbeddedServer = {
  /** Connection URL of the server's default `postgres` database. */
  url: string;
  port: number;
  /** Builds the URL of another database on the same server. */
  urlFor(database: string): string;
  /** Whether this process started the server (false: it joined one another process had started). */
  startedHere: boolean;
  /** Leaves the server; the last process using it stops it. Call after this process's pools are closed. */
  stop(): Promise<void>;
};

export type EmbeddedOptions = {
  dataDir: string;
  /** Tests and benchmarks trade crash safety for speed; the product never does. Applies when this process starts it. */
  durability?: 'full' | 'fast';
  maxConnections?: number;
  onLog?: (message: string) => void;
  /**
   * Also listen on a Unix socket in the cluster directory (owner-only) and put it in the URLs (`?host=`, read by
   * libpq, node-postgres and our postgres.js clients): cheaper than loopback TCP per statement (~9% more webhook
   * runs/s in the engine benchmark). Skipped when the directory's path is too long for a socket address.
   */
  unixSocket?: boolean;
};

/** sun_path holds 108 bytes with its NUL; Postgres adds `/.s.PGSQL.<port>` to the directory. */
const MAX_SOCKET_PATH = 107;
/** A lock older than this whose holder stopped refreshing it (killed) is taken over. */
const LOCK_STALE_MS = 15_000;
const CONFIG_INCLUDE = "include_if_exists = 'vmesh.conf'";
/** pg_ctl's fast shutdown: sessions are ended, everything committed is kept; waits up to 30 s. */
const STOP_FAST = ['stop', '-m', 'fast', '-w', '-t', '30', '-s'];

function unixSocketDir(clusterDir: string, port: number): string | undefined {
  if (process.platform === 'win32') return undefined;
  const dir = resolve(clusterDir);
  return Buffer.byteLength(`${dir}/.s.PGSQL.${port}`) <= MAX_SOCKET_PATH ? dir : undefined;
}

function urlBuilder(access: StoredAccess, port: number, socketDir: string | null | undefined) {
  return (database: string) =>
    `postgres://${access.user}:${encodeURIComponent(access.password)}@127.0.0.1:${port}/${database}${socketDir ? `?host=${encodeURIComponent(socketDir)}` : ''}`;
}

async function answers(url: string): Promise<boolean> {
  const target = connectionTarget(url);
  const probe = postgres(target.url, {
    ...target.options,
    max: 1,
    connect_timeout: 3,
    idle_timeout: 1,
    onnotice: () => {},
  });
  try {
    await probe`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await probe.end({ timeout: 1 }).catch(() => {});
  }
}

async function lockDataDir(dataDir: string, lockPath: string): Promise<() => Promise<void>> {
  return lockfile.lock(dataDir, {
    lockfilePath: lockPath,
    realpath: false,
    stale: LOCK_STALE_MS,
    update: LOCK_STALE_MS / 3,
    // Up to ~2 minutes: another process may be running initdb (seconds) or stopping the server.
    retries: { retries: 1_200, factor: 1, minTimeout: 100, maxTimeout: 100 },
    onCompromised: () => {},
  });
}

type ClusterContext = {
  dataDir: string;
  paths: ReturnType<typeof clusterPaths>;
  binaries: PostgresBinaries;
  runAs: RunAs;
  access: StoredAccess;
  options: EmbeddedOptions;
};

async function pgCtl(context: ClusterContext, args: string[], timeoutMs = 90_000) {
  return runCommand(context.binaries.pgCtl, ['-D', context.paths.clusterDir, ...args], {
    runAs: context.runAs,
    env: { ...process.env, LC_MESSAGES: 'C', PGDATA: context.paths.clusterDir },
    timeoutMs,
  });
}

async function stopServer(context: ClusterContext): Promise<void> {
  const fast = await pgCtl(context, STOP_FAST);
  if (fast.code === 0 || !(await readPostmaster(context.paths.postmasterPid))) return;
  await pgCtl(context, ['stop', '-m', 'immediate', '-w', '-t', '30', '-s']);
}

/** The server another process started, if it is running and answers; a half-running one is stopped. */
async function runningServer(context: ClusterContext): Promise<Postmaster | undefined> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const postmaster = await readPostmaster(context.paths.postmasterPid);
    if (!postmaster) return undefined;
    const status = await pgCtl(context, ['status'], 10_000);
    if (status.code !== 0) return undefined; // a postmaster.pid left by a server that died: pg_ctl start replaces it
    const url = urlBuilder(context.access, postmaster.port, postmaster.socketDir)('postgres');
    if (postmaster.status === 'ready' && (await answers(url))) return postmaster;
    await new Promise((resolveWait) => setTimeout(resolveWait, 250));
  }
  context.options.onLog?.('the embedded PostgreSQL is running but does not answer; restarting it');
  await stopServer(context);
  return undefined;
}

async function initialiseCluster(context: ClusterContext): Promise<void> {
  const { clusterDir } = context.paths;
  if (existsSync(clusterDir) && readdirSync(clusterDir).length > 0) {
    // An initdb that was killed midway left a directory without PG_VERSION: keep it aside, never delete it.
    const aside = `${clusterDir}.incomplete-${Date.now()}`;
    await rename(clusterDir, aside);
    context.options.onLog?.(`moved an incomplete cluster directory aside to ${aside}`);
    await prepareClusterDirectory(context.dataDir, clusterDir, context.runAs);
  }
  const passwordFile = join(tmpdir(), `vmesh-pg-${randomBytes(8).toString('hex')}`);
  await writeFile(passwordFile, `${context.access.password}\n`, { mode: 0o600 });
  try {
    if (context.runAs) await chown(passwordFile, context.runAs.uid, context.runAs.gid);
    const result = await runCommand(
      context.binaries.initdb,
      [
        `--pgdata=${clusterDir}`,
        '--auth=scram-sha-256',
        `--username=${context.access.user}`,
        `--pwfile=${passwordFile}`,
        '--encoding=UTF8',
        '--no-locale',
      ],
      { runAs: context.runAs, env: { ...process.env, LC_MESSAGES: 'C' } },
    );
    if (result.code !== 0)
      throw new Error(
        `initdb failed for ${clusterDir} (exit ${result.code ?? result.signal}): ${result.output}`,
      );
  } finally {
    await rm(passwordFile, { force: true });
  }
}

function quoteSetting(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

async function writeServerSettings(context: ClusterContext, port: number, socketDir: string | undefined) {
  const { clusterDir } = context.paths;
  const mainConfig = join(clusterDir, 'postgresql.conf');
  if (!(await readFile(mainConfig, 'utf8')).includes(CONFIG_INCLUDE))
    await appendFile(
      mainConfig,
      `\n# Written by VelocityMesh on every start of the embedded server.\n${CONFIG_INCLUDE}\n`,
    );
  const settings: Record<string, string> = {
    port: String(port),
    listen_addresses: quoteSetting('127.0.0.1'),
    unix_socket_directories: quoteSetting(socketDir ?? ''),
    unix_socket_permissions: '0700',
    max_connections: String(context.options.maxConnections ?? 200),
  };
  if (context.options.durability === 'fast')
    Object.assign(settings, { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' });
  const file = join(clusterDir, 'vmesh.conf');
  await writeFile(
    file,
    `${Object.entries(settings)
      .map(([key, value]) => `${key} = ${value}`)
      .join('\n')}\n`,
    { mode: 0o600 },
  );
  if (context.runAs) await chown(file, context.runAs.uid, context.runAs.gid);
}

async function startServer(context: ClusterContext, preferredPort: number | undefined): Promise<Postmaster> {
  if (!existsSync(join(context.paths.clusterDir, 'PG_VERSION'))) await initialiseCluster(context);
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = attempt === 0 && preferredPort ? preferredPort : await findFreePort();
    const socketDir = context.options.unixSocket ? unixSocketDir(context.paths.clusterDir, port) : undefined;
    await writeServerSettings(context, port, socketDir);
    const logSize = await stat(context.paths.log).then(
      (info) => info.size,
      () => 0,
    );
    if (logSize > 10 * 1024 * 1024) await rm(context.paths.log, { force: true });
    const started = await pgCtl(context, ['start', '-w', '-t', '90', '-s', '-l', context.paths.log]);
    const postmaster = await readPostmaster(context.paths.postmasterPid);
    if (started.code === 0 && postmaster) return postmaster;
    const log = await readFile(context.paths.log, 'utf8').catch(() => '');
    lastError = `${started.output}\n${log.split('\n').slice(-15).join('\n')}`.trim();
    if (!/could not bind|address already in use/i.test(lastError)) break;
  }
  throw new Error(`The embedded PostgreSQL in ${context.paths.clusterDir} did not start: ${lastError}`);
}

/**
 * The embedded PostgreSQL of `dataDir`, shared by every process that uses that data dir: the first one starts
 * it, later ones join it (found through postmaster.pid, checked to answer), and the last one to leave stops it.
 * Starting, joining and leaving happen under one lock on the data dir, so two processes starting at the same
 * instant run one initdb and one server. A server whose processes all died (kill -9) is joined by the next one.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const dataDir = resolve(options.dataDir);
  const paths = clusterPaths(dataDir);
  const [binaries, runAs] = await Promise.all([loadPostgresBinaries(), serverRunAs()]);
  await prepareClusterDirectory(dataDir, paths.clusterDir, runAs);
  const unlock = await lockDataDir(dataDir, paths.lock);
  const lease = randomBytes(8).toString('hex');
  let context: ClusterContext;
  let postmaster: Postmaster;
  let startedHere = false;
  try {
    context = { dataDir, paths, binaries, runAs, access: await loadOrCreateAccess(paths.access), options };
    const running = await runningServer(context);
    if (running) postmaster = running;
    else {
      const previous = await readPostmaster(paths.postmasterPid);
      postmaster = await startServer(context, previous?.port);
      startedHere = true;
      await writeServerState(paths.state, {
        pid: postmaster.pid,
        port: postmaster.port,
        socketDir: postmaster.socketDir,
        startedBy: process.pid,
        startedAt: new Date().toISOString(),
      });
    }
    const users = remainingUsers(await readUsers(paths.users), lease);
    await writeUsers(paths.users, [...users, { pid: process.pid, lease }]);
  } finally {
    await unlock();
  }
  const leaveOnExit = () => leaveSync(context, lease);
  process.once('exit', leaveOnExit);
  let left = false;
  const urlFor = urlBuilder(context.access, postmaster.port, postmaster.socketDir);
  return {
    url: urlFor('postgres'),
    port: postmaster.port,
    urlFor,
    startedHere,
    async stop() {
      if (left) return;
      left = true;
      process.removeListener('exit', leaveOnExit);
      const release = await lockDataDir(dataDir, paths.lock);
      try {
        const others = remainingUsers(await readUsers(paths.users), lease);
        await writeUsers(paths.users, others);
        if (others.length === 0) {
          await stopServer(context);
          await rm(paths.state, { force: true });
        }
      } finally {
        await release();
      }
    },
  };
}

/**
 * The same leave, synchronously, for a process that exits without closing its database (an error path, or
 * `process.exit` from a command): best effort, as another process may hold the lock (it then finds this
 * process gone and does the rest).
 */
function leaveSync(context: ClusterContext, lease: string): void {
  let release: (() => void) | undefined;
  try {
    release = lockfile.lockSync(context.dataDir, {
      lockfilePath: context.paths.lock,
      realpath: false,
      stale: LOCK_STALE_MS,
    });
  } catch {
    return;
  }
  try {
    const others = remainingUsers(readUsersSync(context.paths.users), lease);
    writeUsersSync(context.paths.users, others);
    if (others.length === 0) {
      spawnSync(context.binaries.pgCtl, ['-D', context.paths.clusterDir, ...STOP_FAST], {
        ...(context.runAs ?? {}),
        stdio: 'ignore',
        timeout: 35_000,
      });
      rmSync(context.paths.state, { force: true });
    }
  } catch {
    // exiting anyway
  } finally {
    release();
  }
}
