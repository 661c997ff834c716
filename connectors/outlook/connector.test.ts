import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.ts';
import { graphError } from '../microsoft/fake-graph.ts';
import type { ConnectorError } from '../sdk/connector-error.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { createMemoryFiles } from '../testing/memory-files.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { outlookConnector } from './connector.ts';
import { type OutlookFake, startOutlookFake } from './fake-server.ts';
import { newEmail } from './triggers/new-email.ts';

let fake: OutlookFake;
let env: ConnectorEnvironment;
const credential = () => ({
  authorizeUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
  tokenUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
  clientId: '11111111-2222-3333-4444-555555555555',
  clientSecret: 'entra-client-secret',
  provider: 'microsoft',
  accessToken: fake.token,
  refreshToken: 'M.refresh',
});
type Options = {
  credential?: unknown;
  files?: ReturnType<typeof createMemoryFiles>;
  idempotencyKey?: string;
};

beforeAll(async () => {
  fake = await startOutlookFake();
  env = createTestEnvironment({ outlook: fake.url });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  env.tokens = undefined;
});

const run = (key: string, input: unknown, options: Options = {}) =>
  runAction(outlookConnector, key, input, {
    env,
    credential: credential(),
    credentialType: 'oauth2',
    ...options,
  });
const runError = (key: string, input: unknown, options: Options = {}) =>
  runActionError(outlookConnector, key, input, {
    env,
    credential: credential(),
    credentialType: 'oauth2',
    ...options,
  });

describe('outlook connector against the Microsoft Graph fake', () => {
  it('sends mail with recipients parsed and a fileAttachment in contentBytes', async () => {
    const files = createMemoryFiles();
    const file = files.add('notes.txt', Buffer.from('meeting notes'), 'text/plain');
    const result = await run(
      'sendMail',
      {
        to: 'Ana Lopez <ana@fabrikam.com>, bob@fabrikam.com',
        cc: ['carl@fabrikam.com'],
        subject: 'Notes',
        html: '<p>Attached.</p>',
        attachments: [{ file, name: 'minutes.txt' }],
      },
      { files },
    );
    expect(result).toEqual({ sent: true, recipients: 3 });
    const request = fake.requests.at(-1);
    expect(request).toMatchObject({ method: 'POST', path: '/v1.0/me/sendMail' });
    expect(request?.headers.authorization).toBe(`Bearer ${fake.token}`);
    expect(request?.body).toEqual({
      message: {
        subject: 'Notes',
        body: { contentType: 'HTML', content: '<p>Attached.</p>' },
        toRecipients: [
          { emailAddress: { address: 'ana@fabrikam.com', name: 'Ana Lopez' } },
          { emailAddress: { address: 'bob@fabrikam.com' } },
        ],
        ccRecipients: [{ emailAddress: { address: 'carl@fabrikam.com' } }],
        importance: 'normal',
        attachments: [
          {
            '@odata.type': '#microsoft.graph.fileAttachment',
            name: 'minutes.txt',
            contentType: 'text/plain',
            contentBytes: Buffer.from('meeting notes').toString('base64'),
          },
        ],
      },
      saveToSentItems: true,
    });
  });

  it('refuses attachments over 3 MB before sending anything, and a recipient that is no address', async () => {
    const files = createMemoryFiles();
    const big = files.add('big.bin', Buffer.alloc(3 * 1024 * 1024 + 1));
    const before = fake.requests.length;
    const error = (await runError(
      'sendMail',
      { to: 'a@b.com', subject: 's', text: 't', attachments: [{ file: big }] },
      { files },
    )) as ConnectorError;
    expect(error).toMatchObject({
      code: 'E_ATTACHMENTS_TOO_LARGE',
      retryable: false,
      hint: expect.stringContaining('OneDrive'),
    });
    const bad = (await runError('sendMail', {
      to: 'just a name',
      subject: 's',
      text: 't',
    })) as ConnectorError;
    expect(bad).toMatchObject({ code: 'E_PARAMS' });
    expect(fake.requests.length).toBe(before);
  });

  it('lists the newest messages and follows @odata.nextLink pages up to the limit', async () => {
    for (let index = 0; index < 60; index++)
      fake.deliver({
        from: 'News <news@fabrikam.com>',
        subject: `Issue ${index}`,
        text: `Newsletter ${index}`,
      });
    const before = fake.requests.length;
    const listed = (await run('listMessages', { limit: 55 })) as {
      messages: { subject: string; from: string }[];
      truncated: boolean;
    };
    expect(listed.messages).toHaveLength(55);
    expect(listed.truncated).toBe(true);
    expect(listed.messages[0]).toMatchObject({ subject: 'Issue 59', from: 'News <news@fabrikam.com>' });
    const pages = fake.requests.slice(before);
    expect(pages).toHaveLength(2);
    expect(pages[0]?.query).toMatchObject({ $top: '50', $orderby: 'receivedDateTime desc' });
    expect(pages[0]?.headers.prefer).toBe('outlook.body-content-type="text"');
    expect(pages[1]?.query).toMatchObject({ $skip: '50' });
    expect(pages[1]?.headers.authorization).toBe(`Bearer ${fake.token}`);
  });

  it('searches with a quoted $search (no $orderby) and filters with receivedDateTime first', async () => {
    fake.deliver({ from: 'ana@fabrikam.com', subject: 'Quarterly report', text: 'Numbers' });
    const found = (await run('listMessages', { search: 'quarterly report' })) as {
      messages: { subject: string }[];
    };
    expect(found.messages.map((message) => message.subject)).toEqual(['Quarterly report']);
    expect(fake.requests.at(-1)?.query).toMatchObject({ $search: '"quarterly report"' });
    expect(fake.requests.at(-1)?.query).not.toHaveProperty('$orderby');
    await run('listMessages', { filter: 'isRead eq false', limit: 1 });
    expect(fake.requests.at(-1)?.query).toMatchObject({
      $filter: 'receivedDateTime ge 1900-01-01T00:00:00Z and (isRead eq false)',
    });
  });

  it('creates an event with a transactionId from the step key: a retry returns the same event', async () => {
    const input = {
      subject: 'Onboarding call',
      start: '2026-05-04T14:00:00',
      end: '2026-05-04T14:30:00',
      timeZone: 'Europe/Berlin',
      attendees: ['ana@fabrikam.com'],
      teamsMeeting: true,
    };
    const first = (await run('createEvent', input, { idempotencyKey: 'run-9:event:0' })) as {
      id: string;
      joinUrl: string;
    };
    const again = (await run('createEvent', input, { idempotencyKey: 'run-9:event:0' })) as { id: string };
    expect(again.id).toBe(first.id);
    expect(fake.events()).toHaveLength(1);
    expect(first.joinUrl).toContain('teams.microsoft.com');
    expect(fake.requests.at(-1)?.body).toMatchObject({
      start: { dateTime: '2026-05-04T14:00:00', timeZone: 'Europe/Berlin' },
      attendees: [{ emailAddress: { address: 'ana@fabrikam.com' }, type: 'required' }],
      isOnlineMeeting: true,
      onlineMeetingProvider: 'teamsForBusiness',
      transactionId: expect.stringMatching(/^[0-9a-f]{36}$/),
    });
  });

  it('maps Graph’s error body with its code and request-id; 429 Retry-After is retryable with the wait', async () => {
    fake.fail('GET /me/mailFolders/:id/messages', {
      status: 400,
      body: graphError('ErrorInvalidUrlQuery', 'Invalid filter clause'),
    });
    const bad = (await runError('listMessages', { filter: 'nonsense' })) as ConnectorError;
    expect(bad).toMatchObject({ code: 'E_REQUEST', details: { vendorCode: 'ErrorInvalidUrlQuery' } });
    expect(bad.message).toMatch(/Invalid filter clause \(request-id [0-9a-f-]+\)/);
    fake.fail('POST /me/sendMail', {
      status: 429,
      headers: { 'retry-after': '12' },
      body: graphError('ApplicationThrottled', 'Application is over its MailboxConcurrency limit.'),
    });
    const limited = (await runError('sendMail', {
      to: 'a@b.com',
      subject: 's',
      text: 't',
    })) as ConnectorError;
    expect(limited).toMatchObject({ code: 'E_RATE_LIMITED', retryable: true, retryAfterMs: 12_000 });
    const missing = (await runError('listMessages', { folder: 'nosuchfolder' })) as ConnectorError;
    expect(missing).toMatchObject({ code: 'E_NOT_FOUND', hint: expect.stringContaining('well-known name') });
  });

  it('an expired token is renewed once; a revoked one is E_AUTH InvalidAuthenticationToken with a reconnect hint', async () => {
    const old = fake.token;
    fake.rotate('eyJ0eXAiOiJKV1Qi.renewed');
    env.tokens = { refresh: async () => ({ accessToken: 'eyJ0eXAiOiJKV1Qi.renewed' }) };
    await expect(
      run('listMessages', { limit: 1 }, { credential: { ...credential(), accessToken: old } }),
    ).resolves.toBeDefined();
    fake.revoke();
    env.tokens = { refresh: async (seen) => ({ accessToken: seen }) };
    const error = (await runError(
      'listMessages',
      { limit: 1 },
      { credential: { ...credential(), accessToken: 'eyJ0eXAiOiJKV1Qi.renewed' } },
    )) as ConnectorError;
    expect(error).toMatchObject({
      code: 'E_AUTH',
      retryable: false,
      details: { vendorCode: 'InvalidAuthenticationToken' },
    });
    expect(error.hint).toContain('--provider microsoft');
  });

  it('newEmail: since becomes receivedDateTime ge, the from filter goes to Graph, the subject filter is applied here', async () => {
    fake.rotate('eyJ0eXAiOiJKV1Qi.poll');
    const filters = newEmail.with.parse({ from: 'billing@fabrikam.com', subjectContains: 'invoice' });
    const poll = (after?: { at: number; id: string }) =>
      newEmail.poll(
        {
          credential: { ...credential(), accessToken: 'eyJ0eXAiOiJKV1Qi.poll' },
          client: outlookConnector.createClient({
            credential: { ...credential(), accessToken: 'eyJ0eXAiOiJKV1Qi.poll' },
            env,
          }),
          logger: createLogger({ level: 'silent' }),
          signal: new AbortController().signal,
          env,
        },
        filters,
        { after, state: {} },
      );
    const first = fake.deliver({ from: 'Billing <billing@fabrikam.com>', subject: 'Invoice 1', text: 'one' });
    const primed = await poll();
    expect(primed.items.map((item) => item.id)).toEqual([first.id]);
    expect(fake.requests.at(-1)?.query).toMatchObject({
      $filter:
        "receivedDateTime ge 1970-01-01T00:00:00Z and from/emailAddress/address eq 'billing@fabrikam.com'",
    });
    const watermark = { at: Date.parse(first.receivedDateTime), id: first.id };
    const second = fake.deliver({ from: 'billing@fabrikam.com', subject: 'Invoice 2', text: 'two' });
    fake.deliver({ from: 'billing@fabrikam.com', subject: 'Newsletter', text: 'no' });
    fake.deliver({ from: 'other@fabrikam.com', subject: 'Invoice from someone else', text: 'no' });
    const later = await poll(watermark);
    expect(fake.requests.at(-1)?.query).toMatchObject({
      $filter: `receivedDateTime ge ${first.receivedDateTime} and from/emailAddress/address eq 'billing@fabrikam.com'`,
    });
    expect(later.items.map((item) => item.data.subject).sort()).toEqual(['Invoice 1', 'Invoice 2']);
    expect(later.items.find((item) => item.id === second.id)?.at).toBe(Date.parse(second.receivedDateTime));
  });

  it('has a doc section for every action and the trigger', async () => {
    const sections = docSections(await readFile(outlookConnector.docPath, 'utf8'));
    for (const action of outlookConnector.actions) expect(sections).toContain(action.key);
    expect(sections).toContain('trigger:newEmail');
  });
});
