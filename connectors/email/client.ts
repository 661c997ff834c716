import nodemailer, { type Transporter } from 'nodemailer';
import { z } from 'zod';
import { ConnectorError } from '../sdk/connector-error.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';
import { findConnectorError } from '../sdk/outbound/blocked-destination-error.ts';
import { socketOpenerOf } from '../sdk/outbound/guarded-socket.ts';

export const SmtpCredential = z.strictObject({
  host: z.string().min(1).describe('SMTP server host name, e.g. smtp.example.com.'),
  port: z
    .number()
    .int()
    .min(1)
    .max(65535)
    .default(587)
    .describe('SMTP port: 587 (STARTTLS), 465 (TLS) or 25.'),
  secure: z
    .boolean()
    .default(false)
    .describe('true for implicit TLS (port 465); false to use STARTTLS when the server offers it.'),
  user: z.string().optional().describe('SMTP user name (omit for servers without authentication).'),
  pass: z.string().optional().describe('SMTP password or app password.'),
  from: z.string().min(3).describe('Default sender, e.g. "Ops Bot <ops@example.com>".'),
});
export type SmtpCredential = z.infer<typeof SmtpCredential>;

export type EmailClient = {
  transporter: Transporter;
  from: string;
};

/**
 * A nodemailer SMTP transport from the credential; `env.baseUrls.email` (smtp://host:port) overrides host and port in
 * tests. The poll runtime also builds one for `email.received` (from its imap credential): it is never used there,
 * and nodemailer connects only on a send.
 */
export function createEmailClient(options: {
  credential: SmtpCredential | undefined;
  env: ConnectorEnvironment;
}): EmailClient {
  const { credential } = options;
  if (!credential) {
    throw new ConnectorError({
      code: 'E_CREDENTIAL',
      message:
        'The email connector needs a credential: an smtp one for email.send, an imap one for email.received.',
      retryable: false,
      hint:
        'Store one with `vmesh credentials set NAME --type smtp` (or `--type imap`) and name it in the node’s ' +
        '`credential` (or `trigger.credential`).',
    });
  }
  const override = options.env.baseUrls.email ? new URL(options.env.baseUrls.email) : undefined;
  const host = override?.hostname ?? credential.host;
  const port = override?.port ? Number(override.port) : credential.port;
  const openSocket = socketOpenerOf(options.env);
  const transporter = nodemailer.createTransport({
    host,
    port,
    secure: credential.secure,
    // The connection is opened by the outbound guard (the address it checked is the one connected to);
    // nodemailer then speaks SMTP over it, upgrading to TLS itself with the host name for SNI.
    getSocket(_socketOptions, callback) {
      openSocket({ host, port, timeoutMs: 15_000 }).then(
        (connection) => callback(null, { connection }),
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), {}),
      );
    },
    ...(credential.user ? { auth: { user: credential.user, pass: credential.pass ?? '' } } : {}),
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 30_000,
  });
  return { transporter, from: credential.from };
}

type SmtpFailure = Error & { code?: string; responseCode?: number; response?: string; command?: string };

const NETWORK_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED', 'ECONNRESET']);

/** Maps a nodemailer failure: 4xx replies and network trouble are retryable; 5xx replies are not. */
export function toEmailError(error: unknown): ConnectorError {
  const guarded = findConnectorError(error);
  if (guarded) return guarded;
  const failure = error as SmtpFailure;
  const responseCode = typeof failure.responseCode === 'number' ? failure.responseCode : undefined;
  const reply = failure.response ?? failure.message;
  if (failure.code === 'EAUTH' || responseCode === 535 || responseCode === 534) {
    return new ConnectorError({
      code: 'E_AUTH',
      message: `email: the SMTP server refused the login (${reply}).`,
      retryable: false,
      hint: 'Check the smtp credential’s user and pass (many providers need an app password), then re-set it.',
      details: { smtpCode: responseCode },
      cause: error,
    });
  }
  if (responseCode !== undefined && responseCode >= 400 && responseCode < 500) {
    return new ConnectorError({
      code:
        responseCode === 421 || responseCode === 450 || responseCode === 452
          ? 'E_RATE_LIMITED'
          : 'E_UPSTREAM',
      message: `email: the SMTP server deferred the message (${reply}).`,
      retryable: true,
      hint: 'A temporary refusal (greylisting, rate limit, mailbox busy); the step is retried with backoff.',
      details: { smtpCode: responseCode },
      cause: error,
    });
  }
  if (responseCode !== undefined && responseCode >= 500) {
    return new ConnectorError({
      code: 'E_REQUEST',
      message: `email: the SMTP server rejected the message (${reply}).`,
      retryable: false,
      hint:
        failure.command === 'RCPT TO' || failure.code === 'EENVELOPE'
          ? 'A recipient address was refused: check to/cc/bcc for typos or addresses the server does not accept.'
          : 'The server refused the message permanently: check the sender (`from` must be allowed for this account), size and content.',
      details: { smtpCode: responseCode, command: failure.command },
      cause: error,
    });
  }
  if (failure.code && NETWORK_CODES.has(failure.code)) {
    return new ConnectorError({
      code: 'E_NETWORK',
      message: `email: could not talk to the SMTP server (${failure.code}: ${failure.message}).`,
      retryable: true,
      hint: 'Usually temporary; the step is retried. If it persists, check the credential’s host, port and secure flag.',
      cause: error,
    });
  }
  return new ConnectorError({
    code: 'E_CONNECTOR',
    message: `email: ${failure.message}`,
    retryable: false,
    hint: 'Check the message fields and the smtp credential.',
    cause: error,
  });
}
