import { z } from 'zod';
import { MESSAGE_SELECT, OutlookMessage, toOutlookMessage } from '../client.ts';
import { rest } from '../kit.ts';

/** Most messages one poll reads (the newest; a poll every minute rarely meets more). */
const PER_POLL = 50;

const Page = z.object({ value: z.array(z.unknown()).max(1000) });

/** An address for an OData string literal: quotes doubled. */
const odataString = (text: string) => `'${text.replace(/'/g, "''")}'`;

export const NewEmailWith = z.strictObject({
  folder: z
    .string()
    .regex(/^[A-Za-z0-9=_-]{1,300}$/, 'a well-known folder name or a folder id')
    .default('inbox')
    .describe('The folder to watch: inbox (default), archive, or a folder id.'),
  from: z.email().optional().describe('Only messages from this sender address, e.g. "billing@fabrikam.com".'),
  subjectContains: z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe('Only messages whose subject contains this text (case-insensitive), e.g. "invoice".'),
  intervalSeconds: z
    .number()
    .int()
    .min(1)
    .max(86_400)
    .default(60)
    .describe(
      'Seconds between two checks (default 60; each check is one list call plus one read per new message).',
    ),
});

export const newEmail = rest.poll({
  key: 'newEmail',
  title: 'New Outlook message',
  description:
    'Starts the workflow for each new message in an Outlook mail folder (default the inbox), checked every intervalSeconds, optionally only from one sender or with a word in the subject.',
  with: NewEmailWith,
  data: OutlookMessage,
  sample: {
    id: 'AAMkAGI2TG93AAA=',
    conversationId: 'AAQkAGI2TG93conv=',
    subject: 'Invoice 2024-117',
    from: 'Billing <billing@fabrikam.com>',
    to: ['me@contoso.com'],
    cc: [],
    receivedAt: '2026-05-04T09:30:00Z',
    preview: 'Please find the invoice attached.',
    body: 'Please find the invoice attached.\r\nFabrikam billing',
    isRead: false,
    hasAttachments: true,
    importance: 'normal',
    webLink:
      'https://outlook.office365.com/owa/?ItemID=AAMkAGI2TG93AAA%3D&exvsurl=1&viewmodel=ReadMessageItem',
    internetMessageId: '<inv-2024-117@fabrikam.com>',
  },
  intervalMs: (filters) => filters.intervalSeconds * 1000,
  http: {
    method: 'GET',
    path: '/me/mailFolders/{folder}/messages',
    query: () => ({ $select: MESSAGE_SELECT, $top: PER_POLL, $orderby: 'receivedDateTime desc' }),
  },
  // receivedDateTime comes first in $filter, as Graph wants for the $orderby on it.
  since: (after, filters) => {
    const since = new Date(after ? after.at : 0).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const from = filters.from ? ` and from/emailAddress/address eq ${odataString(filters.from)}` : '';
    return { $filter: `receivedDateTime ge ${since}${from}` };
  },
  items: (body) => Page.parse(body).value,
  item: (raw, filters) => {
    const message = toOutlookMessage(raw);
    const wanted = filters.subjectContains?.toLowerCase();
    if (wanted && !message.subject.toLowerCase().includes(wanted)) return undefined;
    return { id: message.id, at: Date.parse(message.receivedAt) || 0, data: message };
  },
});
