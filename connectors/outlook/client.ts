import addressparser from 'nodemailer/lib/addressparser';
import { z } from 'zod';
import { type GraphCredential, GraphRecipient, graphApi, recipientText } from '../microsoft/graph.ts';
import { ConnectorError } from '../sdk/connector-error.ts';

/** The delegated Graph permissions the actions and the trigger use. */
export const OUTLOOK_SCOPES = ['Mail.ReadWrite', 'Mail.Send', 'Calendars.ReadWrite'] as const;

export const outlookApi = {
  ...graphApi('outlook', OUTLOOK_SCOPES, {
    400: 'Change the field the message names (an address Graph cannot read, a $search or $filter it refuses, a date without time zone).',
    404: 'Check the folder or message id: it does not exist in this mailbox (folders by well-known name: inbox, sentitems, drafts, archive).',
  }),
  // Message bodies as text, not HTML, on every page of a list too.
  headers: { prefer: 'outlook.body-content-type="text"' },
};

export type { GraphCredential as OutlookCredential };

const Addresses = z.union([z.string().min(3).max(2000), z.array(z.string().min(3).max(320)).min(1).max(500)]);
export const AddressInput = Addresses;

/** "Ana <ana@example.com>, bob@example.com" (or a list) as Graph recipients; an entry without an address is refused. */
export function toRecipients(value: string | readonly string[] | undefined, field: string): GraphRecipient[] {
  if (value === undefined) return [];
  const parsed = [value].flat().flatMap((entry) => addressparser(entry, { flatten: true }));
  return parsed.map((entry) => {
    if (!entry.address?.includes('@')) {
      throw new ConnectorError({
        code: 'E_PARAMS',
        message: `outlook: "${entry.name || String(value)}" in ${field} is not an email address.`,
        retryable: false,
        hint: 'Write each recipient as "ana@example.com" or "Ana <ana@example.com>".',
      });
    }
    return { emailAddress: { address: entry.address, ...(entry.name ? { name: entry.name } : {}) } };
  });
}

/** A message as /me/messages answers it (the fields of MESSAGE_SELECT). */
export const GraphMessageBody = z.object({
  id: z.string(),
  conversationId: z.string().optional(),
  subject: z.string().nullable().optional(),
  bodyPreview: z.string().optional(),
  body: z.object({ contentType: z.string().optional(), content: z.string().optional() }).optional(),
  from: GraphRecipient.nullable().optional(),
  toRecipients: z.array(GraphRecipient).max(1000).default([]),
  ccRecipients: z.array(GraphRecipient).max(1000).default([]),
  receivedDateTime: z.string().optional(),
  isRead: z.boolean().optional(),
  hasAttachments: z.boolean().optional(),
  importance: z.string().optional(),
  webLink: z.string().optional(),
  internetMessageId: z.string().optional(),
});

export const MESSAGE_SELECT =
  'id,conversationId,subject,bodyPreview,body,from,toRecipients,ccRecipients,receivedDateTime,isRead,hasAttachments,importance,webLink,internetMessageId';

/** Most characters of a body an output carries. */
export const MAX_BODY_CHARS = 200_000;

export const OutlookMessage = z.object({
  id: z.string().describe('Graph message id.'),
  conversationId: z.string().describe('The conversation (thread) id.'),
  subject: z.string().describe('The subject.'),
  from: z.string().describe('The sender, e.g. "Ana <ana@contoso.com>".'),
  to: z.array(z.string()).describe('To recipients.'),
  cc: z.array(z.string()).describe('Cc recipients.'),
  receivedAt: z.string().describe('When it was received (ISO 8601, UTC).'),
  preview: z.string().describe('The first 255 characters of the text.'),
  body: z.string().describe('The body as plain text (cut at 200 000 characters).'),
  isRead: z.boolean().describe('Whether it was read.'),
  hasAttachments: z.boolean().describe('Whether it has attachments.'),
  importance: z.string().describe('low, normal or high.'),
  webLink: z.string().describe('Link that opens it in Outlook on the web.'),
  internetMessageId: z.string().describe('The Message-ID header.'),
});
export type OutlookMessage = z.infer<typeof OutlookMessage>;

export function toOutlookMessage(raw: unknown): OutlookMessage {
  const message = GraphMessageBody.parse(raw);
  return {
    id: message.id,
    conversationId: message.conversationId ?? '',
    subject: message.subject ?? '',
    from: recipientText(message.from),
    to: message.toRecipients.map(recipientText),
    cc: message.ccRecipients.map(recipientText),
    receivedAt: message.receivedDateTime ?? '',
    preview: message.bodyPreview ?? '',
    body: (message.body?.content ?? '').slice(0, MAX_BODY_CHARS),
    isRead: message.isRead ?? false,
    hasAttachments: message.hasAttachments ?? false,
    importance: message.importance ?? 'normal',
    webLink: message.webLink ?? '',
    internetMessageId: message.internetMessageId ?? '',
  };
}
