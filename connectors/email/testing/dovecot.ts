import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';

// A real IMAP server for tests: Debian's dovecot (`apt-get install dovecot-imapd`, which .ci/run does), started in
// the foreground with a generated configuration in a temporary directory, plain IMAP on 127.0.0.1, users from a
// passwd-file, Maildir under the same directory. Messages are delivered with IMAP APPEND, over the wire.

const DOVECOT_PATHS = ['/usr/sbin/dovecot', '/usr/local/sbin/dovecot'];

export type DovecotUser = { user: string; pass: string };

export type Dovecot = {
  host: string;
  port: number;
  users: DovecotUser[];
  /** An `imap` credential for the first user: plain IMAP, no TLS (requireTls false). */
  credential(overrides?: Record<string, unknown>): Record<string, unknown>;
  /** Delivers a raw RFC 5322 message with APPEND; resolves with the UID the server gave it. */
  append(raw: string, options?: { mailbox?: string; flags?: string[] }): Promise<number>;
  /**
   * Runs `work` with the client logged in as the first user (creating folders, changing flags). Appends and this
   * share one session, open until close(): `sessionsEnded` counts only the sessions of the code under test.
   */
  withClient<T>(work: (client: ImapFlow) => Promise<T>): Promise<T>;
  /** The server's log so far (its last 64 KB), for failure messages. */
  log(): string;
  /** How many IMAP sessions of others than this helper ended with LOGOUT: one more each time a poll is done. */
  sessionsEnded(): number;
  close(): Promise<void>;
};

/** The dovecot binary, or undefined when it is not installed. */
export function findDovecot(): string | undefined {
  return DOVECOT_PATHS.find((path) => existsSync(path));
}

/**
 * Why the IMAP tests are skipped here, or undefined when they run. They are never skipped on CI: there a missing
 * dovecot fails them (startDovecot throws).
 */
export function dovecotSkipReason(): string | undefined {
  if (findDovecot() || process.env.CI) return undefined;
  return 'dovecot is not installed (apt-get install dovecot-imapd); the IMAP tests are skipped outside CI';
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/** Resolves once something on the port answers with an IMAP greeting. */
async function waitForGreeting(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`dovecot exited with ${child.exitCode}:\n${log()}`);
    const greeted = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.setTimeout(1_000);
      socket.once('data', (chunk) => {
        socket.destroy();
        resolve(chunk.toString('latin1').startsWith('* OK'));
      });
      socket.once('error', () => resolve(false));
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (greeted) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`dovecot did not answer on 127.0.0.1:${port}:\n${log()}`);
}

/**
 * Who dovecot's processes run as. As root it switches users itself and refuses root for logins and mail, so the
 * Debian package's users serve (`dovenull` for logins, `dovecot` for the rest and the mail files); as anyone else
 * it cannot switch, so everything runs as the current user.
 */
function processUsers(): { internal: string; login: string; mailUid: number; mailGid: number } {
  const me = userInfo();
  if (me.uid !== 0) return { internal: me.username, login: me.username, mailUid: me.uid, mailGid: me.gid };
  const id = (flag: string) => Number(execFileSync('id', [flag, 'dovecot'], { encoding: 'utf8' }).trim());
  return { internal: 'dovecot', login: 'dovenull', mailUid: id('-u'), mailGid: id('-g') };
}

function configText(options: { dir: string; port: number; users: ReturnType<typeof processUsers> }): string {
  const { dir, port, users } = options;
  return `
protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = vmesh-test-${port}
log_path = /dev/stderr
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = ${users.internal}
default_internal_group = ${users.internal === 'dovecot' ? 'dovecot' : groupName()}
default_login_user = ${users.login}
first_valid_uid = ${Math.max(1, Math.min(users.mailUid, 500))}
first_valid_gid = ${Math.max(1, Math.min(users.mailGid, 500))}
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN ${dir}/users
}
userdb {
  driver = static
  args = uid=${users.mailUid} gid=${users.mailGid} home=${dir}/mail/%u
}
# Without root there is no chroot(); with it, the empty default directories are not needed by a test either.
service anvil {
  chroot =
  # Without this socket the auth process keeps no penalty (seconds of delay for every login from an address
  # after failed ones): the tests of a wrong password would slow all later logins.
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
`;
}

/** The current user's primary group name (dovecot wants a name for its internal group). */
function groupName(): string {
  return execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim();
}

/** Starts dovecot on a free port of 127.0.0.1 with these users (default one: ana / ana-secret). */
export async function startDovecot(options: { users?: DovecotUser[] } = {}): Promise<Dovecot> {
  const binary = findDovecot();
  if (!binary) {
    throw new Error(
      `dovecot is not installed (looked in ${DOVECOT_PATHS.join(', ')}): apt-get install dovecot-imapd`,
    );
  }
  const users = options.users ?? [{ user: 'ana', pass: 'ana-secret' }];
  const dir = await mkdtemp(join(tmpdir(), 'vmesh-dovecot-'));
  // The auth and mail processes run as other users when started as root: they must reach these files.
  await chmod(dir, 0o755);
  const who = processUsers();
  await mkdir(join(dir, 'mail'));
  await chown(join(dir, 'mail'), who.mailUid, who.mailGid);
  await writeFile(join(dir, 'users'), users.map(({ user, pass }) => `${user}:{PLAIN}${pass}\n`).join(''), {
    mode: 0o644,
  });
  let child: ChildProcess | undefined;
  let output = '';
  let partial = '';
  let ended = 0;
  const log = () => output;
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    await writeFile(join(dir, 'dovecot.conf'), configText({ dir, port, users: who }));
    output = '';
    child = spawn(binary, ['-F', '-c', join(dir, 'dovecot.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output = (output + text).slice(-64_000);
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      ended += lines.filter((line) => / imap\(.*Disconnected: Logged out/.test(line)).length;
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    try {
      await waitForGreeting(port, child, log);
      return running({ dir, port, users, child, log, sessionsEnded: () => ended });
    } catch (error) {
      await stop(child);
      // Another process may have taken the port between freePort() and dovecot's bind.
      if (attempt >= 3 || !output.includes('Address already in use')) {
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function running(options: {
  dir: string;
  port: number;
  users: DovecotUser[];
  child: ChildProcess;
  log: () => string;
  sessionsEnded: () => number;
}): Dovecot {
  const { port, users, child, dir } = options;
  const first = users[0] as DovecotUser;
  // One session for all the test's own work, so every other session the log shows is the code under test.
  let session: Promise<ImapFlow> | undefined;
  const deliverer = async (): Promise<ImapFlow> => {
    const current = session ? await session.catch(() => undefined) : undefined;
    if (current?.usable) return current;
    const client = new ImapFlow({
      host: '127.0.0.1',
      port,
      secure: false,
      auth: { user: first.user, pass: first.pass },
      clientInfo: { name: 'vmesh-test-delivery' },
      logger: false,
      disableAutoIdle: true,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
    });
    client.on('error', () => {});
    session = client.connect().then(() => client);
    return session;
  };
  return {
    host: '127.0.0.1',
    port,
    users,
    credential: (overrides = {}) => ({
      host: '127.0.0.1',
      port,
      secure: false,
      requireTls: false,
      user: first.user,
      pass: first.pass,
      ...overrides,
    }),
    async append(raw, appendOptions = {}) {
      const client = await deliverer();
      const result = await client.append(appendOptions.mailbox ?? 'INBOX', raw, appendOptions.flags ?? []);
      if (!result || result.uid === undefined)
        throw new Error('dovecot did not report the UID of the append');
      return result.uid;
    },
    async withClient(work) {
      return work(await deliverer());
    },
    log: options.log,
    sessionsEnded: options.sessionsEnded,
    async close() {
      const client = session ? await session.catch(() => undefined) : undefined;
      await client?.logout().catch(() => client.close());
      await stop(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A small RFC 5322 message (CRLF line ends); `headers` are added as given, after the defaults they override. */
export function rawMessage(options: {
  from?: string;
  to?: string;
  subject?: string;
  text?: string;
  headers?: Record<string, string>;
  body?: string;
}): string {
  const headers: Record<string, string> = {
    From: options.from ?? 'Ana Lopez <ana@example.com>',
    To: options.to ?? 'Support <support@example.com>',
    Subject: options.subject ?? 'Hello',
    Date: 'Mon, 07 Jan 2030 09:00:00 +0000',
    'Message-ID': `<${Math.random().toString(36).slice(2)}@example.com>`,
    'MIME-Version': '1.0',
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Transfer-Encoding': '8bit',
    ...options.headers,
  };
  const head = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\r\n');
  const body = options.body ?? `${options.text ?? 'Hello there.'}\r\n`;
  return `${head}\r\n\r\n${body.replace(/\r?\n/g, '\r\n')}`;
}
