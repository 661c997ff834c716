import type { Socket } from 'node:net';
import postgres from 'postgres';
import { z } from 'zod';
import { ConnectorError } from '../sdk/connector-error.ts';
import { basicAuthWireSecrets } from '../sdk/credential-secrets.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';
import { socketOpenerOf } from '../sdk/outbound/guarded-socket.ts';

export const PostgresCredential = z.strictObject({
  url: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'a postgres:// or postgresql:// connection URL')
    .describe('Connection URL, e.g. postgres://reporting:…@db.example.com:5432/app?sslmode=require.'),
});
export type PostgresCredential = z.infer<typeof PostgresCredential>;

/**
 * What a connection URL puts on the wire: the password (sent as is by cleartext password auth), decoded and
 * as written, and the `user:password` pair, including a `password` query parameter.
 */
export function postgresWireSecrets(url: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [];
  }
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      return text;
    }
  };
  const passwords = [parsed.password, parsed.searchParams.get('password') ?? ''].filter((p) => p !== '');
  return passwords.flatMap((password) => [
    password,
    decode(password),
    ...basicAuthWireSecrets(decode(parsed.username), decode(password)),
  ]);
}

export type PostgresClient = {
  /** Opens a one-connection client for this call; the action closes it. */
  connect(): postgres.Sql;
};

export function createPostgresClient(options: {
  credential: PostgresCredential | undefined;
  env: ConnectorEnvironment;
}): PostgresClient {
  const url = options.env.baseUrls.postgres ?? options.credential?.url;
  if (!url) {
    throw new ConnectorError({
      code: 'E_CREDENTIAL',
      message: 'postgres.query needs a postgres credential (a connection URL).',
      retryable: false,
      hint: 'Store one with `vmesh credentials set NAME --type postgres` (the URL on stdin) and name it in the node’s `credential`.',
    });
  }
  const openSocket = socketOpenerOf(options.env);
  // postgres.js supports `socket` (a function returning a connected socket) but its types do not declare it.
  const settings: postgres.Options<Record<string, never>> & { socket: GuardedPgSocket } = {
    // The outbound guard opens the connection (the checked address is the one connected to); `host` on the
    // socket gives postgres.js the name for TLS SNI. Only the first host of a multi-host URL is used.
    socket: async (connection) => {
      const host = connection.host[0] ?? '';
      const socket = await openSocket({ host, port: connection.port[0] ?? 5432, timeoutMs: 10_000 });
      return Object.assign(socket, { host });
    },
    max: 1,
    onnotice: () => {},
    connect_timeout: 10,
    idle_timeout: 1,
    connection: { application_name: 'vmesh-postgres-connector' },
  };
  return { connect: () => postgres(url, settings) };
}

type GuardedPgSocket = (connection: { host: string[]; port: number[] }) => Promise<Socket>;

type PgFailure = Error & {
  code?: string;
  severity?: string;
  detail?: string;
  hint?: string;
  position?: string;
};

const RETRYABLE_SQLSTATE_CLASSES = ['08', '53', '57P', '40'];
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
]);

/** Maps a Postgres failure (SQLSTATE or network) to a ConnectorError that says what to change. */
export function toPostgresError(error: unknown): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const failure = error as PgFailure;
  const state = failure.code ?? '';
  const extra = [failure.detail, failure.hint].filter(Boolean).join(' ');
  const message = `postgres: ${failure.message}${extra ? ` (${extra})` : ''}`;
  if (state === '25006') {
    return new ConnectorError({
      code: 'E_READ_ONLY',
      message: `postgres: the query tried to write, but the step runs read-only (${failure.message}).`,
      retryable: false,
      hint: 'If this step is meant to change data, set `write: true` in its `with`; otherwise use a SELECT.',
      details: { sqlstate: state },
      cause: error,
    });
  }
  if (state === '57014') {
    return new ConnectorError({
      code: 'E_TIMEOUT',
      message: 'postgres: the query ran longer than timeoutMs and was cancelled.',
      retryable: true,
      hint: 'Narrow the query (WHERE, LIMIT, an index) or raise `timeoutMs`.',
      details: { sqlstate: state },
      cause: error,
    });
  }
  if (state === '28P01' || state === '28000' || state === '42501') {
    return new ConnectorError({
      code: 'E_AUTH',
      message,
      retryable: false,
      hint:
        state === '42501'
          ? 'The database user lacks a permission for this query: grant it, or use a credential that has it.'
          : 'Check the user and password in the postgres credential URL.',
      details: { sqlstate: state },
      cause: error,
    });
  }
  if (RETRYABLE_SQLSTATE_CLASSES.some((prefix) => state.startsWith(prefix)) || NETWORK_CODES.has(state)) {
    return new ConnectorError({
      code: state.startsWith('40') ? 'E_CONFLICT' : 'E_NETWORK',
      message,
      retryable: true,
      hint: 'A temporary database condition (connection, deadlock, serialization, load); the step is retried.',
      details: { sqlstate: state },
      cause: error,
    });
  }
  return new ConnectorError({
    code: 'E_REQUEST',
    message,
    retryable: false,
    hint: 'Fix the SQL or the params as the message says (wrong column, table, type or syntax).',
    details: { sqlstate: state, ...(failure.position ? { position: Number(failure.position) } : {}) },
    cause: error,
  });
}
