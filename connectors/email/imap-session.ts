import type { Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { ImapFlow, type ImapFlowError, type ImapTransport } from 'imapflow';
import { ConnectorError } from '../sdk/connector-error.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';
import { findConnectorError } from '../sdk/outbound/blocked-destination-error.ts';
import { socketOpenerOf } from '../sdk/outbound/guarded-socket.ts';
import type { ImapCredential } from './imap-credential.ts';

const CONNECT_TIMEOUT_MS = 15_000;

/**
 * A transport over a socket the outbound guard already opened (the address it checked is the one connected to);
 * imapflow then speaks IMAP over it and starts TLS itself, with the host name for SNI and certificate checks.
 */
function guardedTransport(socket: Socket): ImapTransport {
  return {
    connect(options, onConnect) {
      if (!options.secure) {
        setImmediate(onConnect);
        return socket;
      }
      return connectTls(
        { ...options.tls, socket, host: options.host, servername: options.servername },
        onConnect,
      );
    },
    upgrade(plain, options, onSecure) {
      return connectTls(
        { ...options.tls, socket: plain, host: options.host, servername: options.servername },
        onSecure,
      );
    },
  };
}

/**
 * Logs in, runs `work` with the client, and logs out (or drops the connection when `signal` aborts). Every
 * failure comes out as a ConnectorError from `toImapError`: none of them carries the password.
 */
export async function withImapSession<T>(
  credential: ImapCredential,
  options: { env: ConnectorEnvironment; signal: AbortSignal },
  work: (client: ImapFlow) => Promise<T>,
): Promise<T> {
  const { signal } = options;
  let client: ImapFlow | undefined;
  const abort = () => client?.close();
  signal.addEventListener('abort', abort, { once: true });
  try {
    signal.throwIfAborted();
    const socket = await socketOpenerOf(options.env)({
      host: credential.host,
      port: credential.port,
      timeoutMs: CONNECT_TIMEOUT_MS,
    });
    if (signal.aborted) {
      socket.destroy();
      signal.throwIfAborted();
    }
    client = new ImapFlow({
      host: credential.host,
      port: credential.port,
      secure: credential.secure,
      ...(credential.secure ? {} : { doSTARTTLS: credential.requireTls ? true : undefined }),
      auth: { user: credential.user, pass: credential.pass },
      transport: guardedTransport(socket),
      logger: false,
      disableAutoIdle: true,
      connectionTimeout: CONNECT_TIMEOUT_MS,
      greetingTimeout: CONNECT_TIMEOUT_MS,
      socketTimeout: 60_000,
    });
    // A connection error after connect() is also emitted: without a listener it would crash the process.
    client.on('error', () => {});
    await client.connect();
    const result = await work(client);
    await client.logout().catch(() => client?.close());
    return result;
  } catch (error) {
    client?.close();
    throw toImapError(error, { user: credential.user, host: credential.host, aborted: signal.aborted });
  } finally {
    signal.removeEventListener('abort', abort);
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'NoConnection',
  'EConnectionClosed',
  'ClosedAfterConnectText',
  'ClosedAfterConnectTLS',
  'CONNECT_TIMEOUT',
  'GREETING_TIMEOUT',
  'UPGRADE_TIMEOUT',
  'ETIMEOUT',
  'ETHROTTLE',
]);

/** The server's own words, without control characters and short: it goes into messages people and models read. */
function serverText(error: ImapFlowError): string {
  const text = error.responseText ?? (typeof error.response === 'string' ? error.response : '');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 200);
}

/**
 * Maps an imapflow failure. The raw error is not kept as the cause of a login failure: it holds the command
 * that was sent, and with LOGIN that is the password.
 */
export function toImapError(
  error: unknown,
  context: { user: string; host: string; aborted: boolean },
): ConnectorError {
  const guarded = findConnectorError(error);
  if (guarded) return guarded;
  const failure = (error instanceof Error ? error : new Error(String(error))) as ImapFlowError;
  if (context.aborted) {
    return new ConnectorError({
      code: 'E_TIMEOUT',
      message: `email: the IMAP session with ${context.host} took too long and was stopped.`,
      retryable: true,
      hint: 'Usually a slow server; the poll is tried again.',
    });
  }
  if (failure.authenticationFailed) {
    const said = serverText(failure);
    return new ConnectorError({
      code: 'E_IMAP_AUTH',
      message: `email: the IMAP server ${context.host} refused the login of "${context.user}"${said ? ` (${said})` : ''}.`,
      retryable: false,
      hint:
        'Check the imap credential’s user and pass (Gmail and Microsoft 365 need IMAP enabled and an app password), ' +
        'then store it again with `vmesh credentials set NAME --type imap`.',
      details: { serverResponseCode: failure.serverResponseCode },
    });
  }
  if (failure.tlsFailed || failure.code === 'STARTTLS_INJECTION') {
    return new ConnectorError({
      code: 'E_IMAP_TLS',
      message: `email: no TLS session with the IMAP server ${context.host} (${failure.message}).`,
      retryable: false,
      hint:
        'Port 993 needs `secure: true`; port 143 needs `secure: false` and a server that offers STARTTLS. A server ' +
        'without TLS on your own network needs `requireTls: false`.',
      cause: error,
    });
  }
  if (failure.code && NETWORK_CODES.has(failure.code)) {
    return new ConnectorError({
      code: 'E_NETWORK',
      message: `email: could not talk to the IMAP server ${context.host} (${failure.code}: ${failure.message}).`,
      retryable: true,
      hint: 'Usually temporary; the poll is tried again. If it persists, check the credential’s host, port and secure flag.',
      cause: error,
    });
  }
  return new ConnectorError({
    code: 'E_CONNECTOR',
    message: `email: the IMAP server ${context.host} failed: ${failure.message}${failure.responseText ? ` (${serverText(failure)})` : ''}.`,
    retryable: true,
    hint: 'The poll is tried again; if it keeps failing, check the imap credential and trigger.with.mailbox.',
    cause: error,
  });
}
