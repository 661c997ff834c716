import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/** The files a data dir holds about its embedded cluster, besides the cluster itself (`postgres/`). */
export function clusterPaths(dataDir: string) {
  const clusterDir = join(dataDir, 'postgres');
  return {
    clusterDir,
    access: join(dataDir, 'postgres-access.json'),
    /** Port and socket of the running server and who started it: for people and other tools; postmaster.pid is the truth. */
    state: join(dataDir, 'postgres-server.json'),
    /** The processes using the running server; the last one to leave stops it. */
    users: join(dataDir, 'postgres-users.json'),
    lock: join(dataDir, 'postgres.lock'),
    postmasterPid: join(clusterDir, 'postmaster.pid'),
    log: join(clusterDir, 'server.log'),
  };
}

const StoredAccess = z.object({ user: z.string(), password: z.string() });
export type StoredAccess = z.infer<typeof StoredAccess>;

export async function loadOrCreateAccess(file: string): Promise<StoredAccess> {
  if (existsSync(file)) return StoredAccess.parse(JSON.parse(await readFile(file, 'utf8')));
  const access = { user: 'vmesh', password: randomBytes(18).toString('base64url') };
  await writeFile(file, JSON.stringify(access), { mode: 0o600 });
  await chmod(file, 0o600);
  return access;
}

export type ServerState = {
  pid: number;
  port: number;
  socketDir: string | null;
  startedBy: number;
  startedAt: string;
};

export async function writeServerState(file: string, state: ServerState): Promise<void> {
  await writeAtomically(file, `${JSON.stringify(state, null, 2)}\n`);
}

const UserEntry = z.object({ pid: z.number().int().positive(), lease: z.string() });
export type ClusterUser = z.infer<typeof UserEntry>;
const UsersFile = z.object({ users: z.array(UserEntry) });

function parseUsers(text: string | undefined): ClusterUser[] {
  if (!text) return [];
  try {
    return UsersFile.parse(JSON.parse(text)).users;
  } catch {
    return [];
  }
}

export async function readUsers(file: string): Promise<ClusterUser[]> {
  return parseUsers(existsSync(file) ? await readFile(file, 'utf8') : undefined);
}

export function readUsersSync(file: string): ClusterUser[] {
  return parseUsers(existsSync(file) ? readFileSync(file, 'utf8') : undefined);
}

export async function writeUsers(file: string, users: ClusterUser[]): Promise<void> {
  await writeAtomically(file, JSON.stringify({ users }));
}

export function writeUsersSync(file: string, users: ClusterUser[]): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify({ users }), { mode: 0o600 });
  renameSync(temporary, file);
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode: 0o600 });
  await rename(temporary, file);
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The users left once `lease` leaves and processes that died without leaving are dropped. */
export function remainingUsers(users: readonly ClusterUser[], lease: string): ClusterUser[] {
  return users.filter((user) => user.lease !== lease && isProcessAlive(user.pid));
}

export type Postmaster = { pid: number; port: number; socketDir: string | null; status: string };

/** Reads postmaster.pid: pid, data dir, start time, port, socket dir, listen address, shmem key, status. */
export function parsePostmasterPid(text: string): Postmaster | undefined {
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port) || port <= 0) return undefined;
  const socketDir = lines[4]?.trim() || null;
  return { pid, port, socketDir, status: lines[7]?.trim() ?? '' };
}

export async function readPostmaster(file: string): Promise<Postmaster | undefined> {
  if (!existsSync(file)) return undefined;
  return parsePostmasterPid(await readFile(file, 'utf8').catch(() => ''));
}
