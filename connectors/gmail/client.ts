import { z } from 'zod';
import { bindAuth } from '../sdk/auth/auth-style.ts';
import { OAuth2Credential, oauth2Style } from '../sdk/auth/oauth2.ts';
import { ConnectorError } from '../sdk/connector-error.ts';
import type { CredentialDefinition } from '../sdk/define.ts';
import type { RestApi } from '../sdk/rest/index.ts';

export const GMAIL_API_URL = 'https://gmail.googleapis.com/gmail/v1';

/** The scope every action and the trigger need (read, send, label, draft; no permanent delete). */
export const GMAIL_SCOPE = 'https://www.googleapis.com/auth/gmail.modify';

export const GmailCredential = OAuth2Credential;
export type GmailCredential = z.output<typeof GmailCredential>;

const CONNECT = `vmesh credentials connect NAME --type oauth2 --provider google --scopes "${GMAIL_SCOPE}"`;

/** Gmail takes the `oauth2` credential type (the `google` provider): its token is renewed on a 401. */
export const gmailCredential: CredentialDefinition = {
  ...oauth2Style,
  howToGet: `Connect a Google account with a link: \`${CONNECT}\` (the app from VMESH_OAUTH_GOOGLE_CLIENT_ID/_CLIENT_SECRET, a Google Cloud OAuth client with the Gmail API enabled), open the link and allow access.`,
};

/** An oauth2 credential connected with another provider (Microsoft, Slack) cannot call Gmail: say so before sending. */
export function checkGoogleCredential(credential: GmailCredential | undefined): void {
  if (credential?.provider === undefined || credential.provider === 'google') return;
  throw new ConnectorError({
    code: 'E_CREDENTIAL',
    message: `gmail: the oauth2 credential was connected with the "${credential.provider}" provider, not "google".`,
    retryable: false,
    hint: `Connect a Google account: \`${CONNECT}\`, and name that credential in the node.`,
  });
}

/** Google's JSON error body: `{ error: { code, message, status, errors: [{ reason, domain, message }] } }`. */
const GoogleErrorBody = z.object({
  error: z.object({
    code: z.number().optional(),
    message: z.string().optional(),
    status: z.string().optional(),
    errors: z.array(z.object({ reason: z.string().optional() }).loose()).optional(),
  }),
});

const RATE_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'quotaExceeded']);

export const gmailApi: RestApi<GmailCredential> = {
  connector: 'gmail',
  baseUrl: GMAIL_API_URL,
  auth: (credential) => bindAuth(oauth2Style, credential),
  vendorError(body) {
    const parsed = GoogleErrorBody.safeParse(body);
    if (!parsed.success) return undefined;
    const { message, status, errors } = parsed.data.error;
    const reason = errors?.find((entry) => entry.reason)?.reason;
    if (reason && RATE_REASONS.has(reason)) {
      return {
        message,
        vendorCode: reason,
        retryable: true,
        hint: 'Gmail allows 250 quota units per user per second (a send costs 100); the step is retried later.',
      };
    }
    if (reason === 'insufficientPermissions' || status === 'PERMISSION_DENIED') {
      return {
        message,
        vendorCode: reason ?? status,
        hint: `The credential lacks the Gmail scope: connect it again with \`${CONNECT}\`.`,
      };
    }
    return { message, vendorCode: reason ?? status };
  },
  hints: {
    400: 'Change the field the message names (an address Gmail cannot parse, a query it refuses, an unknown label id).',
    401: `Google refused the access token (revoked, expired or the password changed): connect the credential again with \`${CONNECT}\`.`,
    403: `The Google account or app may not do this (the Gmail API is off for the project, or the scope is missing): enable the Gmail API and connect again with \`${CONNECT}\`.`,
    404: 'Check the message, thread or label id: it does not exist in this mailbox (ids come from searchEmails or the newEmail trigger).',
  },
};

/** One header of a message part. */
const Header = z.object({ name: z.string(), value: z.string() });

export type GmailPart = {
  partId?: string | undefined;
  mimeType?: string | undefined;
  filename?: string | undefined;
  headers?: { name: string; value: string }[] | undefined;
  body?:
    | { size?: number | undefined; data?: string | undefined; attachmentId?: string | undefined }
    | undefined;
  parts?: GmailPart[] | undefined;
};

const MAX_PART_DEPTH = 20;
const MAX_PARTS = 200;

const Part: z.ZodType<GmailPart> = z.lazy(() =>
  z.object({
    partId: z.string().optional(),
    mimeType: z.string().optional(),
    filename: z.string().optional(),
    headers: z.array(Header).max(500).optional(),
    body: z
      .object({
        size: z.number().optional(),
        data: z.string().optional(),
        attachmentId: z.string().optional(),
      })
      .optional(),
    parts: z.array(Part).max(MAX_PARTS).optional(),
  }),
);

/** A message as users.messages.get answers it (format full or metadata). */
export const GmailMessageBody = z.object({
  id: z.string(),
  threadId: z.string(),
  labelIds: z.array(z.string()).default([]),
  snippet: z.string().default(''),
  internalDate: z.string().regex(/^\d+$/).optional(),
  sizeEstimate: z.number().optional(),
  historyId: z.string().optional(),
  payload: Part.optional(),
});
export type GmailMessageBody = z.output<typeof GmailMessageBody>;

/** The headers a summary shows, asked for with `metadataHeaders`. */
export const SUMMARY_HEADERS = ['From', 'To', 'Cc', 'Subject', 'Date', 'Message-ID'] as const;

export const EmailSummary = z.object({
  id: z.string().describe('Gmail message id (for getEmail, replyToEmail, addLabels).'),
  threadId: z.string().describe('The conversation (thread) id.'),
  from: z.string().describe('The From header, e.g. "Ana <ana@example.com>".'),
  to: z.string().describe('The To header.'),
  cc: z.string().describe('The Cc header ("" when none).'),
  subject: z.string().describe('The subject.'),
  date: z.string().describe('When Gmail received it (ISO 8601).'),
  snippet: z.string().describe('The start of the text, as Gmail shows it in the list.'),
  labelIds: z.array(z.string()).describe('Label ids, e.g. INBOX, UNREAD, STARRED, Label_12.'),
  messageIdHeader: z.string().describe('The Message-ID header (for threading in other mail clients).'),
});
export type EmailSummary = z.infer<typeof EmailSummary>;

export function headerOf(part: GmailPart | undefined, name: string): string {
  const lower = name.toLowerCase();
  return part?.headers?.find((header) => header.name.toLowerCase() === lower)?.value ?? '';
}

function receivedAt(message: GmailMessageBody): string {
  const ms = Number(message.internalDate ?? Number.NaN);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : '';
}

export function toSummary(raw: unknown): EmailSummary {
  const message = GmailMessageBody.parse(raw);
  return {
    id: message.id,
    threadId: message.threadId,
    from: headerOf(message.payload, 'From'),
    to: headerOf(message.payload, 'To'),
    cc: headerOf(message.payload, 'Cc'),
    subject: headerOf(message.payload, 'Subject'),
    date: receivedAt(message),
    snippet: message.snippet,
    labelIds: message.labelIds,
    messageIdHeader: headerOf(message.payload, 'Message-ID'),
  };
}

/** Most characters of a text or HTML body an output carries. */
export const MAX_BODY_CHARS = 200_000;

export const AttachmentInfo = z.object({
  filename: z.string().describe('The file name.'),
  mimeType: z.string().describe('Its MIME type.'),
  size: z.number().describe('Size in bytes.'),
  attachmentId: z.string().describe('Gmail attachment id.'),
});

export const Email = EmailSummary.extend({
  text: z
    .string()
    .describe('The plain-text body ("" when the message has only HTML); cut at 200 000 characters.'),
  html: z.string().describe('The HTML body ("" when none); cut at 200 000 characters.'),
  attachments: z.array(AttachmentInfo).describe('Attached files (name, type, size; not their bytes).'),
  replyTo: z.string().describe('The Reply-To header ("" when none).'),
  references: z.string().describe('The References header ("" when none).'),
});
export type Email = z.infer<typeof Email>;

function decodeBase64Url(data: string): string {
  return Buffer.from(data, 'base64url').toString('utf8');
}

/** Walks the MIME tree breadth-first (bounded), collecting the first text and HTML bodies and the attachments. */
function walkParts(root: GmailPart | undefined): Pick<Email, 'text' | 'html' | 'attachments'> {
  const found: Pick<Email, 'text' | 'html' | 'attachments'> = { text: '', html: '', attachments: [] };
  const queue: { part: GmailPart; depth: number }[] = root ? [{ part: root, depth: 0 }] : [];
  let visited = 0;
  while (queue.length > 0 && visited < MAX_PARTS) {
    const next = queue.shift();
    if (!next) break;
    visited += 1;
    const { part, depth } = next;
    const type = (part.mimeType ?? '').toLowerCase();
    if (part.filename && part.body?.attachmentId) {
      found.attachments.push({
        filename: part.filename,
        mimeType: part.mimeType ?? 'application/octet-stream',
        size: part.body.size ?? 0,
        attachmentId: part.body.attachmentId,
      });
    } else if (type === 'text/plain' && !found.text && part.body?.data) {
      found.text = decodeBase64Url(part.body.data).slice(0, MAX_BODY_CHARS);
    } else if (type === 'text/html' && !found.html && part.body?.data) {
      found.html = decodeBase64Url(part.body.data).slice(0, MAX_BODY_CHARS);
    }
    if (depth < MAX_PART_DEPTH)
      for (const child of part.parts ?? []) queue.push({ part: child, depth: depth + 1 });
  }
  return found;
}

export function toEmail(raw: unknown): Email {
  const message = GmailMessageBody.parse(raw);
  return {
    ...toSummary(message),
    ...walkParts(message.payload),
    replyTo: headerOf(message.payload, 'Reply-To'),
    references: headerOf(message.payload, 'References'),
  };
}
