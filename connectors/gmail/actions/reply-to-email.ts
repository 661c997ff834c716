import addressparser from 'nodemailer/lib/addressparser';
import { z } from 'zod';
import { OutgoingAttachments } from '../../email/outgoing-attachments.ts';
import { describeNamed } from '../../sdk/describe-target.ts';
import type { RestClient } from '../../sdk/rest/index.ts';
import { GmailMessageBody, headerOf } from '../client.ts';
import { action } from '../kit.ts';
import { composeMessage, messageRequest, stableMessageId } from '../mime.ts';
import { MessageId } from './message-id.ts';
import { SentMessage, toSentMessage } from './sent-message.ts';

export const ReplyToEmailInput = z
  .strictObject({
    messageId: MessageId.describe('The Gmail id of the message to answer, e.g. "{{ trigger.id }}".'),
    text: z
      .string()
      .max(5_000_000)
      .optional()
      .describe('Plain-text reply, e.g. "Thanks, done!". Give text, html or both.'),
    html: z.string().max(5_000_000).optional().describe('HTML reply, e.g. "<p>Thanks, done!</p>".'),
    replyAll: z
      .boolean()
      .default(false)
      .describe(
        'Also answer everyone in To and Cc of the original, without your own address (default false: only the sender).',
      ),
    attachments: OutgoingAttachments.optional(),
  })
  .refine((value) => value.text !== undefined || value.html !== undefined, {
    message: 'give `text`, `html` or both',
    path: ['text'],
  });

const REPLY_HEADERS = ['From', 'To', 'Cc', 'Reply-To', 'Subject', 'Message-ID', 'References'];

const Profile = z.object({ emailAddress: z.string() });

/** "Reply all" without the mailbox's own address and without those already in To. */
async function othersThanMe(
  client: RestClient,
  headers: readonly string[],
  already: readonly string[],
  signal: AbortSignal,
): Promise<string[]> {
  const me = Profile.parse((await client.send({ method: 'GET', path: '/users/me/profile' }, signal)).body);
  const skip = new Set(
    [
      me.emailAddress,
      ...already.flatMap((entry) => addressparser(entry, { flatten: true }).map((a) => a.address)),
    ]
      .filter(Boolean)
      .map((address) => address.toLowerCase()),
  );
  const seen = new Set<string>();
  return headers
    .flatMap((entry) => addressparser(entry, { flatten: true }))
    .filter((entry) => {
      const address = entry.address.toLowerCase();
      if (!address || skip.has(address) || seen.has(address)) return false;
      seen.add(address);
      return true;
    })
    .map((entry) =>
      entry.name ? `"${entry.name.replace(/["\\]/g, '')}" <${entry.address}>` : entry.address,
    );
}

function replySubject(subject: string): string {
  return /^re:/i.test(subject.trim()) ? subject : `Re: ${subject}`.slice(0, 998);
}

export const replyToEmail = action({
  key: 'replyToEmail',
  title: 'Reply to a Gmail message',
  description:
    'Answer a Gmail message in its conversation: to its sender (or everyone with replyAll), subject "Re: …", threaded with In-Reply-To and References. A retry after a lost answer may reply twice.',
  effect: 'write',
  idempotent: false,
  describeTarget: (withValue) => describeNamed('a reply in Gmail to the message', withValue.messageId),
  input: ReplyToEmailInput,
  output: SentMessage,
  async run(input, ctx) {
    const original = GmailMessageBody.parse(
      (
        await ctx.client.send(
          {
            method: 'GET',
            path: `/users/me/messages/${encodeURIComponent(input.messageId)}`,
            query: { format: 'metadata', metadataHeaders: REPLY_HEADERS },
          },
          ctx.signal,
        )
      ).body,
    );
    const header = (name: string) => headerOf(original.payload, name);
    const parentId = header('Message-ID');
    const references = [header('References'), parentId].filter(Boolean).join(' ').slice(-8000);
    const to = header('Reply-To') || header('From');
    const others = input.replyAll
      ? await othersThanMe(ctx.client, [header('To'), header('Cc')], [to], ctx.signal)
      : [];
    const message = await composeMessage(
      {
        to,
        ...(others.length > 0 ? { cc: others } : {}),
        subject: replySubject(header('Subject') || '(no subject)'),
        text: input.text,
        html: input.html,
        ...(parentId ? { inReplyTo: parentId, references } : {}),
        attachments: input.attachments,
      },
      ctx.files,
      stableMessageId(ctx.idempotencyKey),
    );
    const response = await ctx.client.send(messageRequest('send', message, original.threadId), ctx.signal);
    return toSentMessage(response.body);
  },
});
