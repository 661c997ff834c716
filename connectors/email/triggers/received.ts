import type { ImapFlow, ImapFlowError, SearchObject } from 'imapflow';
import { z } from 'zod';
import { ConnectorError } from '../../sdk/connector-error.ts';
import { definePollTrigger, type PollWatermark } from '../../sdk/define.ts';
import { type FilePort, SIMULATED_FILE } from '../../sdk/files.ts';
import { imapCredential, parseImapCredential } from '../imap-credential.ts';
import { ReceivedEmail, toReceivedEmail } from '../imap-message.ts';
import { withImapSession } from '../imap-session.ts';
import {
  DEFAULT_MAX_ATTACHMENT_BYTES,
  DEFAULT_MAX_ATTACHMENTS,
  MAX_ATTACHMENT_BYTES,
  MAX_ATTACHMENTS_STORED,
  MAX_POLL_ATTACHMENT_BYTES,
} from '../incoming-attachments.ts';

/** Most messages one poll reads: the oldest new ones first, the rest on the next polls. */
export const MAX_MESSAGES_PER_POLL = 50;

export const ReceivedWith = z.strictObject({
  mailbox: z
    .string()
    .min(1)
    .max(255)
    .default('INBOX')
    .describe('The folder to watch, e.g. "INBOX" (default), "Support" or "[Gmail]/All Mail".'),
  intervalSeconds: z
    .number()
    .int()
    .min(1)
    .max(86_400)
    .default(60)
    .describe('Seconds between two checks of the mailbox (default 60; each check is one IMAP login).'),
  from: z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe('Only messages whose sender name or address contains this text (case-insensitive).'),
  subjectContains: z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe('Only messages whose subject contains this text (case-insensitive).'),
  unseenOnly: z
    .boolean()
    .default(false)
    .describe('Only messages not yet read (without the \\Seen flag) when the mailbox is checked.'),
  attachments: z
    .boolean()
    .default(true)
    .describe(
      'Store each attachment as a file of the run (default true): `trigger.attachments[i].file`. false: only list them.',
    ),
  maxAttachments: z
    .number()
    .int()
    .min(0)
    .max(MAX_ATTACHMENTS_STORED)
    .default(DEFAULT_MAX_ATTACHMENTS)
    .describe(
      `Most attachments stored per message (default ${DEFAULT_MAX_ATTACHMENTS}); later ones are listed as skipped.`,
    ),
  maxAttachmentBytes: z
    .number()
    .int()
    .min(1)
    .max(MAX_ATTACHMENT_BYTES)
    .default(DEFAULT_MAX_ATTACHMENT_BYTES)
    .describe(
      `Largest attachment stored, in bytes (default ${DEFAULT_MAX_ATTACHMENT_BYTES}, 25 MiB); larger ones are listed as skipped.`,
    ),
});
export type ReceivedWith = z.infer<typeof ReceivedWith>;

/** Kept between polls: a new UIDVALIDITY means the server renumbered the mailbox. */
const ReceivedState = z.object({ uidValidity: z.string() });

const includes = (haystack: string, needle: string) => haystack.toLowerCase().includes(needle.toLowerCase());

/** The filters as the runtime re-checks them on each item; the IMAP SEARCH below asks the server for the same. */
function passes(filters: ReceivedWith, email: ReceivedEmail): boolean {
  if (filters.from !== undefined) {
    const needle = filters.from;
    if (!email.from.some((sender) => includes(sender.name, needle) || includes(sender.address, needle))) {
      return false;
    }
  }
  if (filters.subjectContains !== undefined && !includes(email.subject, filters.subjectContains))
    return false;
  if (filters.unseenOnly && email.flags.includes('\\Seen')) return false;
  return true;
}

function searchFor(filters: ReceivedWith, afterUid: number): SearchObject {
  return {
    uid: `${afterUid + 1}:*`,
    ...(filters.from !== undefined ? { from: filters.from } : {}),
    ...(filters.subjectContains !== undefined ? { subject: filters.subjectContains } : {}),
    ...(filters.unseenOnly ? { seen: false } : {}),
  };
}

/** The UIDVALIDITY the watermark was taken under: the state's, else the prefix of the item id. */
function previousUidValidity(state: { uidValidity: string } | undefined, after: PollWatermark | undefined) {
  if (state) return state.uidValidity;
  const prefix = after?.id.split(':')[0];
  return prefix ? prefix : undefined;
}

function missingMailbox(mailbox: string, cause: unknown): ConnectorError {
  return new ConnectorError({
    code: 'E_IMAP_MAILBOX',
    message: `email.received: the mailbox "${mailbox}" does not exist.`,
    retryable: false,
    hint: 'Set trigger.with.mailbox to an existing folder, e.g. "INBOX" or "[Gmail]/All Mail" (names are case-sensitive).',
    cause,
  });
}

async function pollMailbox(
  client: ImapFlow,
  filters: ReceivedWith,
  request: { after: PollWatermark | undefined; state: { uidValidity: string } | undefined },
  files: FilePort | undefined,
) {
  // Read-only (EXAMINE): checking never changes a flag, and body parts are fetched with BODY.PEEK.
  const opened = await client.mailboxOpen(filters.mailbox, { readOnly: true }).catch((error: unknown) => {
    throw (error as ImapFlowError).mailboxMissing ? missingMailbox(filters.mailbox, error) : error;
  });
  const uidValidity = String(opened.uidValidity);
  const previous = previousUidValidity(request.state, request.after);
  const restarted = previous !== undefined && previous !== uidValidity;
  const after = restarted ? undefined : request.after;
  const afterUid = after?.at ?? 0;
  const found = (await client.search(searchFor(filters, afterUid), { uid: true })) || [];
  // `UID n:*` also matches the newest message when n is above every UID: drop what is not new.
  const uids = found.filter((uid) => uid > afterUid).sort((a, b) => a - b);
  // After a watermark: the oldest new ones (the next poll continues); on a first poll: what is there, newest.
  const picked = after ? uids.slice(0, MAX_MESSAGES_PER_POLL) : uids.slice(-MAX_MESSAGES_PER_POLL);
  const messages =
    picked.length === 0
      ? []
      : await client.fetchAll(
          picked,
          { uid: true, envelope: true, bodyStructure: true, flags: true, internalDate: true, size: true },
          { uid: true },
        );
  const items = [];
  const limits = {
    store: filters.attachments,
    maxAttachments: filters.maxAttachments,
    maxAttachmentBytes: filters.maxAttachmentBytes,
  };
  // A renumbered mailbox starts no runs on this poll: nothing to store for them.
  const port = restarted ? undefined : files;
  let storedBytes = 0;
  // One message at a time: imapflow runs one command per connection, and a fetch must end before a download.
  for (const message of messages.sort((a, b) => a.uid - b.uid)) {
    if (message.uid <= afterUid) continue;
    const { email, storedBytes: stored } = await toReceivedEmail(client, message, {
      mailbox: opened.path,
      uidValidity,
      files: port,
      limits,
    });
    items.push({ id: email.id, at: email.uid, data: email });
    storedBytes += stored;
    // Enough bytes for one poll: the messages after this one come in the next poll (the watermark is here).
    if (storedBytes >= MAX_POLL_ATTACHMENT_BYTES) break;
  }
  return { items, state: { uidValidity }, ...(restarted ? { restarted: true } : {}) };
}

export const received = definePollTrigger({
  key: 'received',
  title: 'Email received',
  description:
    'Starts the workflow for each new message in an IMAP mailbox (checked every intervalSeconds), optionally only ' +
    'from a sender, with a subject text or unread; attachments become files of the run (trigger.attachments[i].file). ' +
    'Needs an `imap` credential. Mail there before activation starts nothing.',
  kind: 'poll',
  credential: imapCredential,
  with: ReceivedWith,
  data: ReceivedEmail,
  state: ReceivedState,
  intervalMs: (filters) => filters.intervalSeconds * 1000,
  matches(filters, data) {
    const email = ReceivedEmail.safeParse(data);
    return email.success && passes(filters, email.data);
  },
  poll(ctx, filters, request) {
    const credential = parseImapCredential(ctx.credential);
    return withImapSession(credential, { env: ctx.env, signal: ctx.signal }, (client) =>
      pollMailbox(client, filters, request, ctx.files),
    );
  },
  sample: {
    id: '1700000000:42',
    uid: 42,
    mailbox: 'INBOX',
    messageId: '<CAF3x9@mail.example.com>',
    from: [{ name: 'Ana Lopez', address: 'ana@example.com' }],
    to: [{ name: 'Support', address: 'support@example.com' }],
    cc: [],
    replyTo: [{ name: 'Ana Lopez', address: 'ana@example.com' }],
    subject: 'Invoice 2031-07 is wrong',
    date: '2030-01-07T09:00:00.000Z',
    text: 'Hello, the total on invoice 2031-07 should be 120 EUR, not 210 EUR.\n\nAna',
    html: null,
    truncated: false,
    size: 2048,
    flags: [],
    attachments: [
      {
        filename: 'invoice-2031-07.pdf',
        contentType: 'application/pdf',
        size: 48213,
        file: { ...SIMULATED_FILE, name: 'invoice-2031-07.pdf', contentType: 'application/pdf' },
        skipped: null,
      },
    ],
  },
});
