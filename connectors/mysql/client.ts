import type { Socket } from 'node:net';
import { type Connection, createConnection } from 'mysql2';
import type { Connection as PromiseConnection } from 'mysql2/promise';
import { z } from 'zod';
import { ConnectorError } from '../sdk/connector-error.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';
import { socketOpenerOf } from '../sdk/outbound/guarded-socket.ts';

export const MysqlCredential = z.strictObject({
  host: z
    .string()
    .min(1)
    .max(253)
    .regex(/^[A-Za-z0-9.\-:[\]]+$/, 'a host name or IP address')
    .describe('The server’s host name or IP, e.g. db.example.com.'),
  port: z.number().int().min(1).max(65_535).default(3306).describe('TCP port, default 3306.'),
  user: z.string().min(1).max(80).describe('The database user, e.g. reporting.'),
  password: z.string().max(1024).default('').describe('The user’s password.'),
  database: z
    .string()
    .regex(/^[A-Za-z0-9_$]{1,64}$/, 'a database (schema) name')
    .optional()
    .describe('The default database (schema), e.g. shop.'),
  ssl: z
    .boolean()
    .default(true)
    .describe(
      'Use TLS with certificate verification (default true); false only for a server on a private network.',
    ),
  ca: z
    .string()
    .max(65_536)
    .optional()
    .describe('A PEM CA certificate to verify the server with (RDS, Azure, self-signed CAs).'),
});
export type MysqlCredential = z.output<typeof MysqlCredential>;

/** One connection: `core` streams a statement's rows, `db` runs the session's own statements. */
export type MysqlSession = { core: Connection; db: PromiseConnection };

export type MysqlClient = {
  /** Opens one connection for this call through the outbound guard; the caller ends it. */
  connect(): Promise<MysqlSession>;
};

export function createMysqlClient(options: {
  credential: MysqlCredential | undefined;
  env: ConnectorEnvironment;
}): MysqlClient {
  const { credential } = options;
  const openSocket = socketOpenerOf(options.env);
  return {
    async connect() {
      if (!credential) {
        throw new ConnectorError({
          code: 'E_CREDENTIAL',
          message: 'mysql needs a mysql credential (host, port, user, password, database).',
          retryable: false,
          hint: 'Store one with `vmesh credentials set NAME --type mysql` (a JSON object on stdin) and name it in the node’s `credential`.',
        });
      }
      let socket: Socket;
      try {
        // The guard resolves and checks the address and connects to exactly that one (SSRF rules).
        socket = await openSocket({ host: credential.host, port: credential.port, timeoutMs: 10_000 });
      } catch (error) {
        throw toMysqlError(error);
      }
      try {
        const core = createConnection({
          stream: socket,
          // Only the TLS server name and error messages use `host`: the connection is the guarded socket.
          host: credential.host,
          port: credential.port,
          user: credential.user,
          password: credential.password,
          ...(credential.database ? { database: credential.database } : {}),
          ...(credential.ssl
            ? { ssl: { rejectUnauthorized: true, ...(credential.ca ? { ca: credential.ca } : {}) } }
            : {}),
          connectTimeout: 10_000,
          supportBigNumbers: true,
          bigNumberStrings: true,
          dateStrings: true,
          multipleStatements: false,
          charset: 'utf8mb4',
        });
        // A failure between statements (the server closing an idle connection) must not crash the process: the
        // next statement reports it.
        core.on('error', () => {});
        const db = core.promise();
        // The handshake's outcome: a wrong password or a TLS failure shows here, not on the first statement.
        await db.ping();
        return { core, db };
      } catch (error) {
        socket.destroy();
        throw toMysqlError(error);
      }
    },
  };
}

type MysqlFailure = Error & { code?: string; errno?: number; sqlState?: string; sqlMessage?: string };

// Network failures and the server errors that say "try again": gone away, lost connection, too many connections,
// lock wait timeout and deadlock.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
]);
const TRANSIENT_ERRNOS = new Set([1040, 1053, 1205, 1213, 2006, 2013]);
const AUTH_ERRNOS = new Set([1044, 1045, 1142, 1143, 1227, 1370, 1698]);
const TIMEOUT_ERRNOS = new Set([1969, 3024]);

/** Maps a MySQL/MariaDB failure (server errno or network code) to a ConnectorError that says what to change. */
export function toMysqlError(error: unknown): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const failure = (error instanceof Error ? error : new Error(String(error))) as MysqlFailure;
  const errno = failure.errno ?? 0;
  const code = failure.code ?? '';
  const details = { ...(errno ? { errno } : {}), ...(code ? { vendorCode: code } : {}) };
  const message = `mysql: ${failure.sqlMessage ?? failure.message}`;
  if (errno === 1792) {
    return new ConnectorError({
      code: 'E_READ_ONLY',
      message: `mysql: the statement tried to write, but the step runs read-only (${failure.sqlMessage ?? failure.message}).`,
      retryable: false,
      hint: 'If this step is meant to change data, set `write: true` in its `with`; otherwise use a SELECT.',
      details,
      cause: error,
    });
  }
  if (TIMEOUT_ERRNOS.has(errno) || code === 'PROTOCOL_SEQUENCE_TIMEOUT') {
    return new ConnectorError({
      code: 'E_TIMEOUT',
      message: 'mysql: the statement ran longer than timeoutMs and was stopped.',
      retryable: true,
      hint: 'Narrow the query (WHERE, LIMIT, an index) or raise `timeoutMs`.',
      details,
      cause: error,
    });
  }
  if (AUTH_ERRNOS.has(errno)) {
    return new ConnectorError({
      code: 'E_AUTH',
      message,
      retryable: false,
      hint:
        errno === 1045 || errno === 1698
          ? 'Check the user and password in the mysql credential (and that the user may log in from this host).'
          : 'The database user lacks a privilege for this statement: GRANT it, or use a credential that has it.',
      details,
      cause: error,
    });
  }
  if (errno === 1210) {
    return new ConnectorError({
      code: 'E_PARAMS',
      message: 'mysql: the number of `?` placeholders and of params differ.',
      retryable: false,
      hint: 'Give exactly one entry in `params` per `?` placeholder, in order. Values never go into the SQL text.',
      details,
      cause: error,
    });
  }
  if (TRANSIENT_ERRNOS.has(errno) || NETWORK_CODES.has(code)) {
    return new ConnectorError({
      code: errno === 1205 || errno === 1213 ? 'E_CONFLICT' : 'E_NETWORK',
      message,
      retryable: true,
      hint: 'A temporary database condition (connection, deadlock, lock wait, load); the step is retried.',
      details,
      cause: error,
    });
  }
  if (code === 'HANDSHAKE_NO_SSL_SUPPORT' || (/ssl|tls|certificate/i.test(failure.message) && !errno)) {
    return new ConnectorError({
      code: 'E_TLS',
      message,
      retryable: false,
      hint: 'The server offers no TLS or its certificate did not verify: add its CA as `ca` in the credential, or set `ssl: false` for a server on a private network.',
      details,
      cause: error,
    });
  }
  return new ConnectorError({
    code: 'E_REQUEST',
    message,
    retryable: false,
    hint: 'Fix the SQL or the params as the message says (wrong column, table, type or syntax).',
    details,
    cause: error,
  });
}
