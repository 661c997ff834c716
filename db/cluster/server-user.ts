import { chmod, chown, mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type RunAs, runCommand } from './run-command.ts';

/** PostgreSQL refuses to run as root: a root process runs the embedded server as this OS user. */
export const SERVER_OS_USER = 'postgres';

async function idOf(flag: '-u' | '-g', name: string): Promise<number | undefined> {
  const result = await runCommand('id', [flag, name]);
  const id = Number(result.output);
  return result.code === 0 && Number.isInteger(id) ? id : undefined;
}

/** The uid/gid the embedded server runs as: none (our own) for a normal user; `postgres`, created if need be, for root. */
export async function serverRunAs(): Promise<RunAs> {
  if (process.getuid?.() !== 0) return undefined;
  let uid = await idOf('-u', SERVER_OS_USER);
  if (uid === undefined) {
    if ((await idOf('-g', SERVER_OS_USER)) === undefined)
      await runCommand('groupadd', ['--system', SERVER_OS_USER]);
    const created = await runCommand('useradd', [
      '--system',
      '--gid',
      SERVER_OS_USER,
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      SERVER_OS_USER,
    ]);
    uid = await idOf('-u', SERVER_OS_USER);
    if (uid === undefined)
      throw new Error(
        `Running as root, the embedded PostgreSQL needs an OS user "${SERVER_OS_USER}" and none could be created (${created.output}). ` +
          `Create it (\`useradd --system ${SERVER_OS_USER}\`), run VelocityMesh as a normal user, or set DATABASE_URL.`,
      );
  }
  const gid = await idOf('-g', SERVER_OS_USER);
  if (gid === undefined) throw new Error(`The OS user "${SERVER_OS_USER}" has no group.`);
  return { uid, gid };
}

async function canEnter(dir: string, runAs: RunAs): Promise<boolean> {
  const result = await runCommand('/bin/sh', ['-c', 'cd -- "$1"', 'sh', dir], { runAs });
  return result.code === 0;
}

/** The outermost directory of `dir`'s path that `runAs` cannot enter. */
async function firstClosedDirectory(dir: string, runAs: RunAs): Promise<string> {
  const chain: string[] = [];
  for (let current = resolve(dir); ; current = dirname(current)) {
    chain.unshift(current);
    if (dirname(current) === current) break;
  }
  for (const candidate of chain) if (!(await canEnter(candidate, runAs))) return candidate;
  return dir;
}

/**
 * Makes `dataDir/postgres` a directory the server's OS user owns and can reach. As root with a data dir of mode
 * 0700 (what `mktemp -d` makes), the data dir gets the server's group with traverse-only permission (g+x): the
 * secrets in it stay 0600 root's. A directory above it that the server's user cannot enter is not ours to
 * open: that is an error naming it and the fix.
 */
export async function prepareClusterDirectory(
  dataDir: string,
  clusterDir: string,
  runAs: RunAs,
): Promise<void> {
  // Only the data dir itself is private; directories created above it get the usual mode (umask), as `mkdir -p`.
  await mkdir(dirname(dataDir), { recursive: true });
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (!runAs) return;
  await mkdir(clusterDir, { recursive: true, mode: 0o700 });
  await chown(clusterDir, runAs.uid, runAs.gid);
  if (await canEnter(clusterDir, runAs)) return;
  const info = await stat(dataDir);
  if (info.uid === process.getuid?.()) {
    await chown(dataDir, info.uid, runAs.gid);
    await chmod(dataDir, (info.mode & 0o7777) | 0o010);
    if (await canEnter(clusterDir, runAs)) return;
  }
  const closed = await firstClosedDirectory(clusterDir, runAs);
  throw new Error(
    `The embedded PostgreSQL runs as the OS user "${SERVER_OS_USER}" (it refuses to run as root), and that user cannot enter ${closed}. ` +
      `Fix: \`chmod o+x ${closed}\` (or \`setfacl -m u:${SERVER_OS_USER}:x ${closed}\`), or set VMESH_DATA_DIR to a directory it can reach (e.g. /var/lib/vmesh), or run as a normal user, or set DATABASE_URL.`,
  );
}
