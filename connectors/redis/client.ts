import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { AbstractConnector, Redis } from 'ioredis';
import { z } from 'zod';
import { ConnectorError } from '../sdk/connector-error.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';
import { type OpenSocket, socketOpenerOf } from '../sdk/outbound/guarded-socket.ts';

export const RedisCredential = z.strictObject({
  url: z
    .string()
    .regex(/^rediss?:\/\//, 'a redis:// or rediss:// (TLS) URL')
    .max(2048)
    .describe('Connection URL, e.g. rediss://default:…@cache.example.com:6380/0 (the path is the db index).'),
  keyPrefix: z
    .string()
    .regex(/^[A-Za-z0-9:_.{}-]{1,64}$/, 'a key prefix such as orders: (letters, digits, :_.-{})')
    .optional()
    .describe(
      'Put in front of every key the actions touch, e.g. "vmesh:" — the workflow then cannot read or change other keys.',
    ),
});
export type RedisCredential = z.output<typeof RedisCredential>;

export type RedisTarget = {
  host: string;
  port: number;
  db: number;
  tls: boolean;
  username: string | undefined;
  password: string | undefined;
};

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Where the URL points and how it logs in. */
export function redisTargetOf(url: string): RedisTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConnectorError({
      code: 'E_CREDENTIAL',
      message: 'redis: the credential URL does not parse.',
      retryable: false,
      hint: 'Store a URL such as redis://default:PASSWORD@host:6379/0 with `vmesh credentials set NAME --type redis`.',
    });
  }
  const db = parsed.pathname.replace(/^\/+/, '');
  if (db !== '' && !/^\d{1,2}$/.test(db)) {
    throw new ConnectorError({
      code: 'E_CREDENTIAL',
      message: 'redis: the path of the credential URL must be a db index (0–99).',
      retryable: false,
      hint: 'Write the database number after the port, e.g. redis://host:6379/2.',
    });
  }
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port ? Number(parsed.port) : 6379,
    db: db === '' ? 0 : Number(db),
    tls: parsed.protocol === 'rediss:',
    username: parsed.username ? decode(parsed.username) : undefined,
    password: parsed.password ? decode(parsed.password) : undefined,
  };
}

/** What the URL puts on the wire: AUTH sends the password (and user) as RESP bulk strings. */
export function redisWireSecrets(url: string): string[] {
  try {
    const target = redisTargetOf(url);
    if (!target.password) return [];
    const raw = new URL(url).password;
    return [...new Set([target.password, raw])];
  } catch {
    return [];
  }
}

/** ioredis's socket maker, replaced by the outbound guard (and TLS on top of the guarded socket for rediss). */
function guardedConnector(openSocket: OpenSocket, target: RedisTarget) {
  return class GuardedConnector extends AbstractConnector {
    constructor() {
      super(1_000);
    }
    async connect(): Promise<Socket | TLSSocket> {
      this.connecting = true;
      const socket = await openSocket({ host: target.host, port: target.port, timeoutMs: 10_000 });
      if (!target.tls) {
        this.stream = socket;
        return socket;
      }
      const secure = await new Promise<TLSSocket>((resolve, reject) => {
        const tls = connectTls({ socket, servername: target.host, rejectUnauthorized: true });
        tls.once('secureConnect', () => resolve(tls));
        tls.once('error', reject);
      });
      this.stream = secure;
      return secure;
    }
  };
}

export type RedisClient = {
  /** The credential's key prefix ('' without one), for messages. */
  readonly keyPrefix: string;
  /** Runs `work` on a connection opened for this call and closed after it. */
  use<T>(work: (redis: Redis) => Promise<T>, options: { signal: AbortSignal; timeoutMs: number }): Promise<T>;
};

export function createRedisClient(options: {
  credential: RedisCredential | undefined;
  env: ConnectorEnvironment;
}): RedisClient {
  const { credential } = options;
  const openSocket = socketOpenerOf(options.env);
  return {
    keyPrefix: credential?.keyPrefix ?? '',
    async use(work, { signal, timeoutMs }) {
      if (!credential) {
        throw new ConnectorError({
          code: 'E_CREDENTIAL',
          message: 'redis needs a redis credential (a redis:// or rediss:// URL).',
          retryable: false,
          hint: 'Store one with `vmesh credentials set NAME --type redis` (the URL on stdin) and name it in the node’s `credential`.',
        });
      }
      const target = redisTargetOf(credential.url);
      const redis = new Redis({
        Connector: guardedConnector(openSocket, target),
        db: target.db,
        ...(target.username ? { username: target.username } : {}),
        ...(target.password ? { password: target.password } : {}),
        ...(credential.keyPrefix ? { keyPrefix: credential.keyPrefix } : {}),
        lazyConnect: true,
        connectTimeout: 10_000,
        commandTimeout: timeoutMs,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        enableReadyCheck: false,
        connectionName: 'vmesh-redis-connector',
      });
      let lastError: unknown;
      // Errors between commands are reported by the next command; the listener keeps them from crashing the process.
      redis.on('error', (error: unknown) => {
        lastError = error;
      });
      const abort = () => redis.disconnect();
      signal.addEventListener('abort', abort, { once: true });
      try {
        await redis.connect();
        return await work(redis);
      } catch (error) {
        throw toRedisError(lastError ?? error, error);
      } finally {
        signal.removeEventListener('abort', abort);
        redis.disconnect();
      }
    },
  };
}

/** A stable guard key for one step's write, so its retry returns the first answer instead of doing it again. */
export function stepGuardKey(idempotencyKey: string): string {
  return `vmesh:step:${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 40)}`;
}

const NETWORK =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Connection is closed|connect ETIMEDOUT|LOADING|TRYAGAIN|BUSY|MASTERDOWN|READONLY|CLUSTERDOWN/;

/** Maps an ioredis failure (a server reply error or a connection failure) to a ConnectorError. */
export function toRedisError(error: unknown, original: unknown = error): ConnectorError {
  if (error instanceof ConnectorError) return error;
  if (original instanceof ConnectorError) return original;
  const message = error instanceof Error ? error.message : String(error);
  const first = /^[A-Z]+/.exec(message)?.[0] ?? '';
  const details = first ? { vendorCode: first } : {};
  if (/^(WRONGPASS|NOAUTH|NOPERM)/.test(message) || /invalid password|invalid username/i.test(message)) {
    return new ConnectorError({
      code: 'E_AUTH',
      message: `redis: ${message}`,
      retryable: false,
      hint:
        first === 'NOPERM'
          ? 'The Redis user lacks a permission for this command or key (its ACL): allow it, or use another user.'
          : 'Check the user and password in the redis credential URL (redis://USER:PASSWORD@host:port/db).',
      details,
      cause: original,
    });
  }
  if (/Command timed out/i.test(message)) {
    return new ConnectorError({
      code: 'E_TIMEOUT',
      message: 'redis: the command took longer than timeoutMs.',
      retryable: true,
      hint: 'The server was slow or busy; the step is retried. Raise `timeoutMs` if it keeps happening.',
      cause: original,
    });
  }
  if (first === 'WRONGTYPE') {
    return new ConnectorError({
      code: 'E_REQUEST',
      message: `redis: ${message}`,
      retryable: false,
      hint: 'The key holds another kind of value (a list where a string is expected, or the other way round): use another key or the matching action.',
      details,
      cause: original,
    });
  }
  if (first === 'OOM') {
    return new ConnectorError({
      code: 'E_UPSTREAM',
      message: `redis: ${message}`,
      retryable: true,
      hint: 'The Redis server is out of memory (maxmemory); free memory or raise the limit. The step is retried.',
      details,
      cause: original,
    });
  }
  if (NETWORK.test(message)) {
    return new ConnectorError({
      code: 'E_NETWORK',
      message: `redis: ${message}`,
      retryable: true,
      hint: 'The Redis server was unreachable, loading or failing over; the step is retried with backoff.',
      details,
      cause: original,
    });
  }
  return new ConnectorError({
    code: 'E_REQUEST',
    message: `redis: ${message}`,
    retryable: false,
    hint: 'Change the parameters as the message says.',
    details,
    cause: original,
  });
}
