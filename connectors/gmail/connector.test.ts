import { readFile } from 'node:fs/promises';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.ts';
import { googleError } from '../google/fake-auth.ts';
import type { ConnectorError } from '../sdk/connector-error.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';
import type { FileRef } from '../sdk/files.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { createMemoryFiles } from '../testing/memory-files.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { gmailConnector } from './connector.ts';
import { type GmailFake, startGmailFake } from './fake-server.ts';
import { newEmail } from './triggers/new-email.ts';

let fake: GmailFake;
let env: ConnectorEnvironment;
const credential = () => ({
  authorizeUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
  tokenUrl: 'https://oauth2.googleapis.com/token',
  clientId: 'client-1.apps.googleusercontent.com',
  clientSecret: 'GOCSPX-secret',
  provider: 'google',
  accessToken: fake.token,
  refreshToken: '1//refresh',
});
type Options = {
  idempotencyKey?: string;
  credential?: unknown;
  files?: ReturnType<typeof createMemoryFiles>;
};

beforeAll(async () => {
  fake = await startGmailFake();
  env = createTestEnvironment({ gmail: fake.url });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  env.tokens = undefined;
});

const run = (key: string, input: unknown, options: Options = {}) =>
  runAction(gmailConnector, key, input, {
    env,
    credential: credential(),
    credentialType: 'oauth2',
    ...options,
  });
const runError = (key: string, input: unknown, options: Options = {}) =>
  runActionError(gmailConnector, key, input, {
    env,
    credential: credential(),
    credentialType: 'oauth2',
    ...options,
  });
const rawOf = async (id: string) => {
  const message = fake.messages().find((candidate) => candidate.id === id);
  return simpleParser(Buffer.from(message?.raw ?? '', 'base64url'));
};

describe('gmail connector against the Gmail API v1 fake', () => {
  it('sends a message with an attachment from the run’s files as a base64url RFC 2822 raw', async () => {
    const files = createMemoryFiles();
    const file = files.add('report.csv', Buffer.from('a,b\n1,2\n'), 'text/csv');
    const sent = (await run(
      'sendEmail',
      {
        to: 'Ana <ana@example.com>',
        bcc: 'audit@example.com',
        subject: 'May report',
        text: 'Hi Ana, the report is attached.',
        attachments: [{ file }],
      },
      { files },
    )) as { id: string; threadId: string; labelIds: string[] };
    expect(sent.labelIds).toEqual(['SENT']);
    const request = fake.requests.at(-1);
    expect(request).toMatchObject({ method: 'POST', path: '/gmail/v1/users/me/messages/send' });
    expect(request?.headers.authorization).toBe(`Bearer ${fake.token}`);
    const mail = await rawOf(sent.id);
    expect(mail.subject).toBe('May report');
    expect(mail.text?.trim()).toBe('Hi Ana, the report is attached.');
    expect(mail.headers.get('bcc')).toMatchObject({ text: 'audit@example.com' });
    expect(
      mail.attachments.map((attachment) => [attachment.filename, attachment.content.toString()]),
    ).toEqual([['report.csv', 'a,b\n1,2\n']]);
    // The same Message-ID on a retry of the step.
    expect(mail.messageId).toMatch(/^<[0-9a-f]{32}@vmesh\.invalid>$/);
  });

  it('sends a message over 4 MB as a multipart/related media upload, threadId in the metadata part', async () => {
    const files = createMemoryFiles();
    const big = Buffer.alloc(5 * 1024 * 1024, 7);
    const file = files.add('scan.bin', big, 'application/octet-stream');
    const sent = (await run(
      'sendEmail',
      {
        to: 'ana@example.com',
        subject: 'Big scan',
        text: 'see attached',
        threadId: 'abc123',
        attachments: [{ file }],
      },
      { files },
    )) as { id: string; threadId: string };
    expect(sent.threadId).toBe('abc123');
    const request = fake.requests.at(-1);
    expect(request).toMatchObject({ method: 'POST', path: '/upload/gmail/v1/users/me/messages/send' });
    expect(request?.query).toEqual({ uploadType: 'multipart' });
    expect(String(request?.headers['content-type'])).toMatch(/^multipart\/related; boundary=vmesh_/);
    expect(request?.headers.authorization).toBe(`Bearer ${fake.token}`);
    const mail = await rawOf(sent.id);
    expect(mail.attachments[0]?.content.equals(big)).toBe(true);
  });

  it('replies in the thread with In-Reply-To, References and "Re:" to the Reply-To address', async () => {
    const original = fake.deliver({
      from: 'Bob <bob@example.com>',
      subject: 'Quote request',
      text: 'Can you send a quote?',
      messageIdHeader: '<q-1@mail.example.com>',
    });
    const reply = (await run('replyToEmail', { messageId: original.id, text: 'Sure, attached soon.' })) as {
      threadId: string;
      id: string;
    };
    expect(reply.threadId).toBe(original.threadId);
    const get = fake.requests.find(
      (request) => request.path === `/gmail/v1/users/me/messages/${original.id}`,
    );
    expect(get?.query).toMatchObject({ format: 'metadata' });
    expect(fake.requests.at(-1)?.body).toMatchObject({ threadId: original.threadId });
    const mail = await rawOf(reply.id);
    expect(mail.subject).toBe('Re: Quote request');
    expect(mail.inReplyTo).toBe('<q-1@mail.example.com>');
    expect(mail.references).toBe('<q-1@mail.example.com>');
    expect(mail.to).toMatchObject({ value: [{ address: 'bob@example.com', name: 'Bob' }] });
  });

  it('reply all answers To and Cc of the original without the mailbox’s own address', async () => {
    const original = fake.deliver({
      from: 'Bob <bob@example.com>',
      to: `${fake.emailAddress}, Carol <carol@example.com>`,
      subject: 'Team lunch',
      text: 'Friday?',
    });
    const reply = (await run('replyToEmail', { messageId: original.id, text: 'Yes', replyAll: true })) as {
      id: string;
    };
    const mail = await rawOf(reply.id);
    expect(mail.to).toMatchObject({ value: [{ address: 'bob@example.com' }] });
    expect(mail.cc).toMatchObject({ value: [{ address: 'carol@example.com', name: 'Carol' }] });
    expect(fake.requests.some((request) => request.path === '/gmail/v1/users/me/profile')).toBe(true);
  });

  it('searches with q=, walks nextPageToken pages and reads each message’s headers', async () => {
    for (let index = 0; index < 7; index++) {
      fake.deliver({
        from: 'billing@acme.com',
        subject: `Invoice ${index}`,
        text: `Invoice number ${index}`,
      });
    }
    const before = fake.requests.length;
    const found = (await run('searchEmails', { query: 'from:billing@acme.com', limit: 5 })) as {
      messages: { subject: string; from: string; date: string }[];
      truncated: boolean;
    };
    expect(found.truncated).toBe(true);
    expect(found.messages.map((message) => message.subject)).toEqual([
      'Invoice 6',
      'Invoice 5',
      'Invoice 4',
      'Invoice 3',
      'Invoice 2',
    ]);
    const lists = fake.requests
      .slice(before)
      .filter((request) => request.path === '/gmail/v1/users/me/messages');
    expect(lists[0]?.query).toMatchObject({ q: 'from:billing@acme.com', maxResults: '5' });
    const all = (await run('searchEmails', { query: 'from:billing@acme.com', limit: 100 })) as {
      messages: unknown[];
      truncated: boolean;
    };
    expect(all).toMatchObject({ truncated: false });
    expect(all.messages).toHaveLength(7);
  });

  it('paginates with pageToken when a page is smaller than the limit', async () => {
    fake.fail('GET /messages', {
      status: 200,
      body: { messages: [{ id: fake.messages()[0]?.id, threadId: 't' }], nextPageToken: 'Mg' },
    });
    const before = fake.requests.length;
    await run('searchEmails', { query: 'from:billing@acme.com', limit: 3 });
    const lists = fake.requests
      .slice(before)
      .filter((request) => request.path === '/gmail/v1/users/me/messages');
    expect(lists[1]?.query).toMatchObject({ pageToken: 'Mg' });
  });

  it('reads a full message: text, HTML and the attachment list', async () => {
    const message = fake.deliver({
      from: 'ana@example.com',
      subject: 'Contract',
      text: 'See the PDF.',
      html: '<p>See the PDF.</p>',
      attachments: [{ filename: 'contract.pdf', mimeType: 'application/pdf', size: 1234 }],
    });
    const email = await run('getEmail', { messageId: message.id });
    expect(email).toMatchObject({
      id: message.id,
      subject: 'Contract',
      text: 'See the PDF.',
      html: '<p>See the PDF.</p>',
      attachments: [{ filename: 'contract.pdf', mimeType: 'application/pdf', size: 1234 }],
    });
    expect(fake.requests.at(-1)?.query).toEqual({ format: 'full' });
  });

  it('downloads an attachment into the run’s files', async () => {
    const pdf = Buffer.from('%PDF-1.7 fake invoice');
    const message = fake.deliver({
      from: 'billing@acme.com',
      subject: 'Invoice',
      text: 'attached',
      attachments: [{ filename: 'invoice.pdf', mimeType: 'application/pdf', size: pdf.length, content: pdf }],
    });
    const email = (await run('getEmail', { messageId: message.id })) as {
      attachments: { attachmentId: string; filename: string }[];
    };
    const [attachment] = email.attachments;
    const files = createMemoryFiles();
    const result = (await run(
      'downloadAttachment',
      {
        messageId: message.id,
        attachmentId: attachment?.attachmentId,
        filename: attachment?.filename,
        mimeType: 'application/pdf',
      },
      { files },
    )) as { file: FileRef; size: number };
    expect(result).toMatchObject({ size: pdf.length, file: { name: 'invoice.pdf' } });
    expect(files.bytes(result.file)?.equals(pdf)).toBe(true);
    expect(fake.requests.at(-1)?.path).toBe(
      `/gmail/v1/users/me/messages/${message.id}/attachments/${attachment?.attachmentId}`,
    );
  });

  it('adds labels by name and id (names resolved through labels.list) and removes UNREAD', async () => {
    const message = fake.deliver({ from: 'x@example.com', subject: 'Pay me', text: 'Invoice' });
    const result = await run('addLabels', {
      messageId: message.id,
      add: ['invoices', 'STARRED'],
      remove: ['UNREAD'],
    });
    expect(result).toMatchObject({ labelIds: ['INBOX', 'Label_12', 'STARRED'] });
    expect(fake.requests.at(-1)?.body).toEqual({
      addLabelIds: ['Label_12', 'STARRED'],
      removeLabelIds: ['UNREAD'],
    });
    const missing = (await runError('addLabels', { messageId: message.id, add: ['Nope'] })) as ConnectorError;
    expect(missing).toMatchObject({ code: 'E_NOT_FOUND', hint: expect.stringContaining('"Invoices"') });
  });

  it('creates a draft', async () => {
    const draft = (await run('createDraft', {
      to: 'ana@example.com',
      subject: 'Draft',
      html: '<b>Hi</b>',
    })) as {
      draftId: string;
      messageId: string;
    };
    expect(fake.drafts().map((entry) => entry.id)).toContain(draft.draftId);
    expect(fake.requests.at(-1)).toMatchObject({ method: 'POST', path: '/gmail/v1/users/me/drafts' });
    expect(String((await rawOf(draft.messageId)).html).trim()).toBe('<b>Hi</b>');
  });

  it('maps Google’s error body: an unknown message is E_NOT_FOUND with the reason and a hint', async () => {
    const error = (await runError('getEmail', { messageId: 'ffffffffffffffff' })) as ConnectorError;
    expect(error).toMatchObject({
      code: 'E_NOT_FOUND',
      retryable: false,
      details: { vendorCode: 'notFound', status: 404 },
      hint: expect.stringContaining('searchEmails'),
    });
    expect(error.message).toContain('Requested entity was not found.');
  });

  it('a 429 with Retry-After is retryable with the wait; a 403 rateLimitExceeded is retryable too', async () => {
    fake.fail('POST /messages/send', {
      status: 429,
      headers: { 'retry-after': '30' },
      body: googleError(429, 'RESOURCE_EXHAUSTED', 'Too many concurrent requests for user', {
        reason: 'rateLimitExceeded',
      }),
    });
    const limited = (await runError('sendEmail', {
      to: 'a@example.com',
      subject: 's',
      text: 't',
    })) as ConnectorError;
    expect(limited).toMatchObject({ code: 'E_RATE_LIMITED', retryable: true, retryAfterMs: 30_000 });
    fake.fail('GET /messages/:id', {
      status: 403,
      body: googleError(403, 'PERMISSION_DENIED', 'User-rate limit exceeded', {
        reason: 'userRateLimitExceeded',
      }),
    });
    const quota = (await runError('getEmail', { messageId: 'ffffffffffffffff' })) as ConnectorError;
    expect(quota).toMatchObject({ retryable: true, details: { vendorCode: 'userRateLimitExceeded' } });
  });

  it('renews a refused token once; a revoked credential is E_AUTH with a hint to connect again', async () => {
    const message = fake.deliver({ from: 'x@example.com', subject: 'Renew', text: 'r' });
    const old = fake.token;
    fake.rotate('ya29.renewed-token');
    env.tokens = { refresh: async () => ({ accessToken: 'ya29.renewed-token' }) };
    await expect(
      run('getEmail', { messageId: message.id }, { credential: { ...credential(), accessToken: old } }),
    ).resolves.toMatchObject({ subject: 'Renew' });
    expect(fake.requests.at(-1)?.headers.authorization).toBe('Bearer ya29.renewed-token');

    fake.revoke();
    env.tokens = { refresh: async (seen) => ({ accessToken: seen }) };
    const error = (await runError(
      'getEmail',
      { messageId: message.id },
      {
        credential: { ...credential(), accessToken: 'ya29.renewed-token' },
      },
    )) as ConnectorError;
    expect(error).toMatchObject({ code: 'E_AUTH', retryable: false, details: { vendorCode: 'authError' } });
    expect(error.hint).toContain('vmesh credentials connect NAME --type oauth2 --provider google');
    expect(JSON.stringify(error)).not.toContain('ya29.renewed-token');
  });

  it('refuses an oauth2 credential of another provider before sending anything', async () => {
    const before = fake.requests.length;
    const error = (await runError(
      'getEmail',
      { messageId: 'abc' },
      {
        credential: { ...credential(), provider: 'microsoft' },
      },
    )) as ConnectorError;
    expect(error).toMatchObject({ code: 'E_CREDENTIAL', hint: expect.stringContaining('--provider google') });
    expect(fake.requests.length).toBe(before);
  });

  it('newEmail: the first poll lists a few, later polls ask after: the watermark and read the oldest first', async () => {
    const filters = newEmail.with.parse({ query: 'subject:ticket' });
    const poll = (after?: { at: number; id: string }) =>
      newEmail.poll(
        {
          credential: credential(),
          client: gmailConnector.createClient({ credential: credential(), env }),
          logger: createLogger({ level: 'silent' }),
          signal: new AbortController().signal,
          env,
        },
        filters,
        { after, state: undefined },
      );
    const first = fake.deliver({ from: 'a@example.com', subject: 'ticket 1', text: 'one' });
    const primed = await poll();
    expect(primed.items.map((item) => item.id)).toEqual([first.id]);
    const watermark = { at: Number(first.internalDate), id: first.id };
    const second = fake.deliver({ from: 'b@example.com', subject: 'ticket 2', text: 'two' });
    const third = fake.deliver({ from: 'c@example.com', subject: 'ticket 3', text: 'three' });
    fake.deliver({ from: 'c@example.com', subject: 'other', text: 'not a match' });
    const later = await poll(watermark);
    const listCall = fake.requests.filter((request) => request.path === '/gmail/v1/users/me/messages').at(-1);
    expect(listCall?.query).toMatchObject({
      q: `subject:ticket after:${Math.floor(watermark.at / 1000) - 1}`,
    });
    expect(later.items.map((item) => item.id)).toEqual([first.id, second.id, third.id]);
    expect(later.items[2]).toMatchObject({
      at: Number(third.internalDate),
      data: { subject: 'ticket 3', text: 'three' },
    });
  });

  it('has a doc section for every action and the trigger', async () => {
    const sections = docSections(await readFile(gmailConnector.docPath, 'utf8'));
    for (const action of gmailConnector.actions) expect(sections).toContain(action.key);
    expect(sections).toContain('trigger:newEmail');
  });
});
