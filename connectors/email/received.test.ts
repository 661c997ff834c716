import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.ts';
import { ConnectorError } from '../sdk/connector-error.ts';
import type { ConnectorEnvironment, PollResult, PollWatermark } from '../sdk/define.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { emailConnector } from './connector.ts';
import { MAX_BODY_BYTES, ReceivedEmail } from './imap-message.ts';
import { type Dovecot, dovecotSkipReason, rawMessage, startDovecot } from './testing/dovecot.ts';
import { MAX_MESSAGES_PER_POLL, received } from './triggers/received.ts';

// email.received against a real IMAP server (dovecot, see testing/dovecot.ts): what one poll returns, the
// filters, the caps, a renumbered mailbox, and the failures. The runtime's part is in runtime/triggers.

const skip = dovecotSkipReason();
if (skip) console.warn(`SKIPPED email.received tests: ${skip}`);

let dovecot: Dovecot;
beforeAll(async () => {
  if (!skip) dovecot = await startDovecot();
});
afterAll(async () => {
  await dovecot?.close();
});

type State = { uidValidity: string };
type Result = PollResult<ReceivedEmail, State>;

/** One poll as the runtime makes it; `credential: undefined` stands for a trigger that names none. */
async function poll(
  withValue: Record<string, unknown>,
  request: { after?: PollWatermark; state?: State } = {},
  options: { credential?: unknown; env?: ConnectorEnvironment } = { credential: dovecot.credential() },
): Promise<Result> {
  return (await received.poll(
    {
      credential: options.credential,
      client: undefined,
      logger: createLogger({ level: 'silent' }),
      signal: AbortSignal.timeout(20_000),
      env: options.env ?? createTestEnvironment(),
    },
    received.with.parse(withValue),
    { after: request.after, state: request.state },
  )) as Result;
}

async function pollError(...args: Parameters<typeof poll>): Promise<ConnectorError> {
  try {
    await poll(...args);
  } catch (error) {
    expect(error).toBeInstanceOf(ConnectorError);
    return error as ConnectorError;
  }
  throw new Error('expected the poll to fail');
}

const newest = (result: Result): PollWatermark => {
  const last = result.items.at(-1);
  return last ? { at: last.at, id: last.id } : { at: 0, id: '' };
};

async function createFolder(name: string): Promise<void> {
  await dovecot.withClient(async (client) => {
    await client.mailboxCreate(name);
  });
}

const BOUNDARY = 'b1_vmesh';
const multipart = rawMessage({
  from: '=?UTF-8?B?w4FuZ2VsIEfDs21leg==?= <angel@example.com>',
  to: 'Support <support@example.com>, ops@example.com',
  subject: '=?UTF-8?Q?Facture_n=C2=B0_7_=E2=9C=93?=',
  headers: {
    Cc: 'Carla <carla@example.com>',
    'Content-Type': `multipart/mixed; boundary="${BOUNDARY}"`,
    'Message-ID': '<multi-1@example.com>',
  },
  body: [
    `--${BOUNDARY}`,
    'Content-Type: multipart/alternative; boundary="alt"',
    '',
    '--alt',
    'Content-Type: text/plain; charset=iso-8859-1',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'Voil=E0 la facture.',
    '--alt',
    'Content-Type: text/html; charset=utf-8',
    '',
    '<p>Voilà la <b>facture</b>.</p>',
    '--alt--',
    `--${BOUNDARY}`,
    'Content-Type: application/pdf; name="facture-7.pdf"',
    'Content-Disposition: attachment; filename="facture-7.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.alloc(3000, 7).toString('base64').replace(/.{76}/g, '$&\n'),
    `--${BOUNDARY}--`,
    '',
  ].join('\n'),
});

describe.skipIf(Boolean(skip))('email.received on a real IMAP server (dovecot)', () => {
  it('reads a MIME message: addresses, decoded subject and bodies, attachment metadata; id is uidvalidity:uid', async () => {
    await createFolder('Parsing');
    const uid = await dovecot.append(multipart, { mailbox: 'Parsing' });
    const result = await poll({ mailbox: 'Parsing' });
    expect(result.items).toHaveLength(1);
    const item = result.items[0];
    const uidValidity = result.state?.uidValidity ?? '';
    expect(uidValidity).toMatch(/^\d+$/);
    expect(item?.id).toBe(`${uidValidity}:${uid}`);
    expect(item?.at).toBe(uid);
    expect(ReceivedEmail.parse(item?.data)).toEqual({
      id: `${uidValidity}:${uid}`,
      uid,
      mailbox: 'Parsing',
      messageId: '<multi-1@example.com>',
      from: [{ name: 'Ángel Gómez', address: 'angel@example.com' }],
      to: [
        { name: 'Support', address: 'support@example.com' },
        { name: '', address: 'ops@example.com' },
      ],
      cc: [{ name: 'Carla', address: 'carla@example.com' }],
      replyTo: [{ name: 'Ángel Gómez', address: 'angel@example.com' }],
      subject: 'Facture n° 7 ✓',
      date: '2030-01-07T09:00:00.000Z',
      text: 'Voilà la facture.',
      html: '<p>Voilà la <b>facture</b>.</p>',
      truncated: false,
      size: expect.any(Number),
      flags: [],
      attachments: [
        {
          filename: 'facture-7.pdf',
          contentType: 'application/pdf',
          size: expect.any(Number),
          // A poll without a file port (the first one after activation) lists attachments only.
          file: null,
          skipped: { code: 'E_ATTACHMENT_NOT_STORED', reason: expect.stringContaining('starts no run') },
        },
      ],
    });
    expect(item?.data.attachments[0]?.size).toBeGreaterThanOrEqual(4000);
    expect(received.matches?.(received.with.parse({}), item?.data)).toBe(true);
  });

  it('gives an HTML-only message a text body converted from its HTML', async () => {
    await createFolder('HtmlOnly');
    await dovecot.append(
      rawMessage({
        subject: 'Your order shipped',
        headers: { 'Content-Type': 'text/html; charset=utf-8' },
        body: '<html><body><h1>Shipped</h1><p>Order <b>42</b> is on its way.</p><img src="x.png"></body></html>',
      }),
      { mailbox: 'HtmlOnly' },
    );
    const [item] = (await poll({ mailbox: 'HtmlOnly' })).items;
    expect(item?.data.html).toContain('<h1>Shipped</h1>');
    expect(item?.data.text).toBe('SHIPPED\n\nOrder 42 is on its way.');
    expect(item?.data.attachments).toEqual([]);
  });

  it('returns only messages after the watermark, and nothing when none is new (IMAP answers n:* with the last one)', async () => {
    await createFolder('Watermark');
    const first = await dovecot.append(rawMessage({ subject: 'before' }), { mailbox: 'Watermark' });
    const initial = await poll({ mailbox: 'Watermark' });
    expect(initial.items.map((item) => item.at)).toEqual([first]);
    const quiet = await poll({ mailbox: 'Watermark' }, { after: newest(initial), state: initial.state });
    expect(quiet.items).toEqual([]);
    expect(quiet.restarted).toBeUndefined();
    const second = await dovecot.append(rawMessage({ subject: 'after' }), { mailbox: 'Watermark' });
    const next = await poll({ mailbox: 'Watermark' }, { after: newest(initial), state: initial.state });
    expect(next.items.map((item) => [item.at, item.data.subject])).toEqual([[second, 'after']]);
  });

  it('reads without changing flags: a polled message stays unread', async () => {
    await createFolder('Unread');
    await dovecot.append(rawMessage({ subject: 'still unread' }), { mailbox: 'Unread' });
    await poll({ mailbox: 'Unread' });
    const again = await poll({ mailbox: 'Unread' });
    expect(again.items[0]?.data.flags).not.toContain('\\Seen');
  });

  it('filters by sender, subject and unread, on the server and again in matches()', async () => {
    await createFolder('Filters');
    const box = { mailbox: 'Filters' };
    await dovecot.append(rawMessage({ from: 'Billing <billing@shop.example>', subject: 'Invoice 12' }), box);
    await dovecot.append(rawMessage({ from: 'Ana <ana@example.com>', subject: 'invoice question' }), box);
    await dovecot.append(rawMessage({ from: 'Ana <ana@example.com>', subject: 'Lunch?' }), box);
    await dovecot.append(rawMessage({ from: 'Billing <billing@shop.example>', subject: 'Invoice 13' }), {
      ...box,
      flags: ['\\Seen'],
    });
    const subjects = async (filters: Record<string, unknown>) =>
      (await poll({ ...box, ...filters })).items.map((item) => item.data.subject);
    expect(await subjects({})).toEqual(['Invoice 12', 'invoice question', 'Lunch?', 'Invoice 13']);
    expect(await subjects({ from: 'BILLING@shop' })).toEqual(['Invoice 12', 'Invoice 13']);
    expect(await subjects({ from: 'ana' })).toEqual(['invoice question', 'Lunch?']);
    expect(await subjects({ subjectContains: 'INVOICE' })).toEqual([
      'Invoice 12',
      'invoice question',
      'Invoice 13',
    ]);
    expect(await subjects({ unseenOnly: true })).toEqual(['Invoice 12', 'invoice question', 'Lunch?']);
    expect(await subjects({ from: 'billing', unseenOnly: true, subjectContains: 'invoice' })).toEqual([
      'Invoice 12',
    ]);

    const all = (await poll(box)).items.map((item) => item.data);
    const matching = (filters: Record<string, unknown>) =>
      all
        .filter((data) => received.matches?.(received.with.parse({ ...box, ...filters }), data))
        .map((d) => d.subject);
    expect(matching({ from: 'BILLING@shop' })).toEqual(['Invoice 12', 'Invoice 13']);
    expect(matching({ subjectContains: 'lunch' })).toEqual(['Lunch?']);
    expect(matching({ unseenOnly: true })).toEqual(['Invoice 12', 'invoice question', 'Lunch?']);
    expect(received.matches?.(received.with.parse({}), { not: 'an email' })).toBe(false);
  });

  it(`reads at most ${MAX_MESSAGES_PER_POLL} messages a poll: the newest on a first poll, then the oldest new ones`, async () => {
    await createFolder('Busy');
    const uids = await dovecot.withClient(async (client) => {
      const appended: number[] = [];
      for (let index = 1; index <= MAX_MESSAGES_PER_POLL + 5; index++) {
        const result = await client.append('Busy', rawMessage({ subject: `message ${index}` }));
        if (result && result.uid !== undefined) appended.push(result.uid);
      }
      return appended;
    });
    const first = await poll({ mailbox: 'Busy' });
    expect(first.items.map((item) => item.at)).toEqual(uids.slice(-MAX_MESSAGES_PER_POLL));
    const fromStart = await poll({ mailbox: 'Busy' }, { after: { at: 0, id: '' }, state: first.state });
    expect(fromStart.items.map((item) => item.at)).toEqual(uids.slice(0, MAX_MESSAGES_PER_POLL));
    const rest = await poll({ mailbox: 'Busy' }, { after: newest(fromStart), state: first.state });
    expect(rest.items.map((item) => item.at)).toEqual(uids.slice(MAX_MESSAGES_PER_POLL));
  });

  it(`cuts each body at ${MAX_BODY_BYTES} bytes and never stores a NUL from the sender`, async () => {
    await createFolder('Large');
    const long = `${'é'.repeat(MAX_BODY_BYTES)}end`;
    await dovecot.append(
      rawMessage({
        // base64 of "a\u0000b": a NUL only the decoded header holds.
        subject: '=?UTF-8?B?YQBi?=',
        text: long,
      }),
      { mailbox: 'Large' },
    );
    const [item] = (await poll({ mailbox: 'Large' })).items;
    expect(item?.data.truncated).toBe(true);
    expect(Buffer.byteLength(item?.data.text ?? '')).toBeLessThanOrEqual(MAX_BODY_BYTES);
    expect(item?.data.text).toMatch(/^é+$/);
    expect(item?.data.text.length).toBe(MAX_BODY_BYTES / 2);
    expect(item?.data.subject).toBe('ab');
  });

  it('a renumbered mailbox (new UIDVALIDITY) is a restart: its messages come with the new ids, newest first poll', async () => {
    await createFolder('Renumbered');
    await dovecot.append(rawMessage({ subject: 'old 1' }), { mailbox: 'Renumbered' });
    await dovecot.append(rawMessage({ subject: 'old 2' }), { mailbox: 'Renumbered' });
    const before = await poll({ mailbox: 'Renumbered' });
    const watermark = newest(before);
    await dovecot.withClient(async (client) => {
      await client.mailboxDelete('Renumbered');
      await client.mailboxCreate('Renumbered');
    });
    await dovecot.append(rawMessage({ subject: 'new 1' }), { mailbox: 'Renumbered' });
    const after = await poll({ mailbox: 'Renumbered' }, { after: watermark, state: before.state });
    expect(after.restarted).toBe(true);
    expect(after.state?.uidValidity).not.toBe(before.state?.uidValidity);
    expect(after.items.map((item) => [item.id, item.data.subject])).toEqual([
      [`${after.state?.uidValidity}:1`, 'new 1'],
    ]);
    // Without a state (kept by an older runtime), the watermark's id still tells the old UIDVALIDITY.
    expect((await poll({ mailbox: 'Renumbered' }, { after: watermark })).restarted).toBe(true);
    // And the next poll with the new state is an ordinary one.
    const next = await poll({ mailbox: 'Renumbered' }, { after: newest(after), state: after.state });
    expect(next).toEqual({ items: [], state: after.state });
  });

  it('a wrong password is E_IMAP_AUTH, not retryable, and the password is nowhere in the error', async () => {
    const pass = 'Wrong-Pa55-canary';
    const error = await pollError({}, {}, { credential: dovecot.credential({ pass }) });
    expect(error.code).toBe('E_IMAP_AUTH');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('refused the login of "ana"');
    expect(error.hint).toContain('app password');
    const everything = JSON.stringify({
      ...error,
      message: error.message,
      hint: error.hint,
      stack: error.stack,
    });
    expect(everything).not.toContain(pass);
    expect(error.cause).toBeUndefined();
  });

  it('names what to fix: a missing mailbox, a missing or malformed credential, TLS required, a refused port', async () => {
    const missing = await pollError({ mailbox: 'Nope' });
    expect(missing.code).toBe('E_IMAP_MAILBOX');
    expect(missing.message).toContain('"Nope"');

    expect((await pollError({}, {}, { credential: undefined })).code).toBe('E_CREDENTIAL');
    const malformed = await pollError({}, {}, { credential: { host: '127.0.0.1', user: 'ana' } });
    expect(malformed.code).toBe('E_CREDENTIAL');
    expect(malformed.message).toContain('pass');

    // This server offers no STARTTLS: with requireTls (the default) the client must not log in in clear text.
    const tls = await pollError({}, {}, { credential: dovecot.credential({ requireTls: true }) });
    expect(tls.code).toBe('E_IMAP_TLS');

    const closed = await pollError({}, {}, { credential: dovecot.credential({ port: 1 }) });
    expect(closed.code).toBe('E_NETWORK');
    expect(closed.retryable).toBe(true);
  });

  it('connects only through the outbound guard: a loopback server not allowed is blocked', async () => {
    const env = { ...createTestEnvironment(), openSocket: undefined };
    const blocked = await pollError({}, {}, { credential: dovecot.credential(), env });
    expect(blocked.code).toBe('E_BLOCKED_DESTINATION');
  });

  it('polls every intervalSeconds (default 60) and declares its own imap credential', () => {
    expect(received.intervalMs(received.with.parse({}))).toBe(60_000);
    expect(received.intervalMs(received.with.parse({ intervalSeconds: 5 }))).toBe(5_000);
    expect(received.with.safeParse({ intervalSeconds: 0 }).success).toBe(false);
    expect(received.with.safeParse({ folder: 'INBOX' }).success).toBe(false);
    // backfill belongs to the runtime (every poll trigger takes it): the connector's filters never see it.
    expect(received.with.safeParse({ backfill: 3 }).success).toBe(false);
    expect(received.credential?.type).toBe('imap');
    expect(emailConnector.credential?.type).toBe('smtp');
  });
});
