import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../sdk/connector-error.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { emailConnector } from './connector.ts';
import { type SmtpFake, startSmtpFake } from './fake-server.ts';

let fake: SmtpFake;
let credential: Record<string, unknown>;

beforeAll(async () => {
  fake = await startSmtpFake({ user: 'bot@example.com', pass: 's3cret-pass' });
  credential = {
    host: '127.0.0.1',
    port: fake.port,
    secure: false,
    user: 'bot@example.com',
    pass: 's3cret-pass',
    from: 'Bot <bot@example.com>',
  };
});
afterAll(async () => {
  await fake.close();
});

const env = createTestEnvironment();
const send = (input: unknown, cred: unknown = credential) =>
  runAction(emailConnector, 'send', input, { env, credential: cred });
const sendError = async (input: unknown, cred: unknown = credential) =>
  (await runActionError(emailConnector, 'send', input, { env, credential: cred })) as ConnectorError;

describe('email.send', () => {
  it('logs in, sends, and the server receives a well-formed message', async () => {
    const out = (await send({
      to: ['Ana <ana@example.com>', 'ben@example.com'],
      cc: 'carla@example.com',
      bcc: 'audit@example.com',
      subject: 'Nightly report ✓',
      text: 'All good.',
      html: '<p>All <b>good</b>.</p>',
      replyTo: 'team@example.com',
    })) as { messageId: string; accepted: string[]; rejected: string[] };
    expect(out.accepted).toEqual([
      'ana@example.com',
      'ben@example.com',
      'carla@example.com',
      'audit@example.com',
    ]);
    expect(out.rejected).toEqual([]);
    const mail = fake.received.at(-1);
    expect(mail?.user).toBe('bot@example.com');
    expect(mail?.envelope).toEqual({
      from: 'bot@example.com',
      to: ['ana@example.com', 'ben@example.com', 'carla@example.com', 'audit@example.com'],
    });
    expect(mail?.parsed.subject).toBe('Nightly report ✓');
    expect(mail?.parsed.text?.trim()).toBe('All good.');
    expect(mail?.parsed.html).toContain('<b>good</b>');
    expect(mail?.parsed.replyTo?.text).toBe('team@example.com');
    expect(mail?.parsed.headers.has('bcc')).toBe(false);
    expect(mail?.parsed.messageId).toBe(out.messageId);
  });

  it('uses the same Message-ID on every retry of a step', async () => {
    const first = (await send({ to: 'a@example.com', subject: 's', text: 't' })) as { messageId: string };
    const again = (await runAction(
      emailConnector,
      'send',
      { to: 'a@example.com', subject: 's', text: 't' },
      { env, credential, attempt: 2 },
    )) as { messageId: string };
    expect(again.messageId).toBe(first.messageId);
  });

  it('a 5xx rejection is not retryable and says what to fix', async () => {
    fake.failNext({ stage: 'rcpt', code: 550, message: 'No such user here' });
    const error = await sendError({ to: 'nobody@example.com', subject: 's', text: 't' });
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error.code).toBe('E_REQUEST');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('No such user here');
    expect(error.hint).toContain('recipient');
  });

  it('a 4xx deferral is retryable', async () => {
    fake.failNext({ stage: 'data', code: 451, message: 'Greylisted, try again later' });
    const error = await sendError({ to: 'ana@example.com', subject: 's', text: 't' });
    expect(error.code).toBe('E_UPSTREAM');
    expect(error.retryable).toBe(true);
    fake.failNext({ stage: 'rcpt', code: 452, message: 'Too many messages' });
    const limited = await sendError({ to: 'ana@example.com', subject: 's', text: 't' });
    expect(limited.code).toBe('E_RATE_LIMITED');
    expect(limited.retryable).toBe(true);
  });

  it('a wrong password is an auth error, not retried', async () => {
    const error = await sendError(
      { to: 'a@example.com', subject: 's', text: 't' },
      { ...credential, pass: 'wrong' },
    );
    expect(error.code).toBe('E_AUTH');
    expect(error.retryable).toBe(false);
    expect(error.message).not.toContain('wrong');
  });

  it('refuses a message without a body and an unreachable server is retryable', async () => {
    const missing = await sendError({ to: 'a@example.com', subject: 's' });
    expect(missing.code).toBe('E_PARAMS');
    const closed = await startSmtpFake({ user: 'u', pass: 'p' });
    await closed.close();
    const down = await sendError(
      { to: 'a@example.com', subject: 's', text: 't' },
      { ...credential, port: closed.port },
    );
    expect(down.code).toBe('E_NETWORK');
    expect(down.retryable).toBe(true);
  });

  it('doc.md has one section per action and per trigger', async () => {
    const doc = await readFile(emailConnector.docPath, 'utf8');
    expect(docSections(doc)).toEqual([
      ...emailConnector.actions.map((action) => action.key),
      ...emailConnector.triggers.map((trigger) => `trigger:${trigger.key}`),
    ]);
  });
});
