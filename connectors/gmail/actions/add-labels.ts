import { z } from 'zod';
import { ConnectorError } from '../../sdk/connector-error.ts';
import { describeNamed } from '../../sdk/describe-target.ts';
import type { RestClient } from '../../sdk/rest/index.ts';
import { action } from '../kit.ts';
import { MessageId } from './message-id.ts';

const LabelRef = z.string().min(1).max(225);
const LabelList = z.object({
  labels: z
    .array(z.object({ id: z.string(), name: z.string(), type: z.string().optional() }))
    .max(10_000)
    .default([]),
});
const Modified = z.object({
  id: z.string(),
  threadId: z.string(),
  labelIds: z.array(z.string()).default([]),
});

/** Gmail's system label ids and user label ids (`Label_12`) are sent as they are; other values are label names. */
const LABEL_ID = /^(?:[A-Z_]+|Label_\d+|CATEGORY_[A-Z]+)$/;

async function resolveLabels(
  client: RestClient,
  refs: readonly string[],
  signal: AbortSignal,
): Promise<string[]> {
  if (refs.every((ref) => LABEL_ID.test(ref))) return [...refs];
  const { labels } = LabelList.parse(
    (await client.send({ method: 'GET', path: '/users/me/labels' }, signal)).body,
  );
  return refs.map((ref) => {
    if (LABEL_ID.test(ref)) return ref;
    const match = labels.find((label) => label.name.toLowerCase() === ref.toLowerCase());
    if (match) return match.id;
    throw new ConnectorError({
      code: 'E_NOT_FOUND',
      message: `gmail: there is no label "${ref}" in this mailbox.`,
      retryable: false,
      hint: `Create the label in Gmail first, or use one of: ${
        labels
          .filter((label) => label.type === 'user')
          .slice(0, 20)
          .map((label) => `"${label.name}"`)
          .join(', ') || 'INBOX, STARRED, IMPORTANT, UNREAD'
      }.`,
    });
  });
}

export const addLabels = action({
  key: 'addLabels',
  title: 'Label a Gmail message',
  description:
    'Add labels to a Gmail message (and optionally remove others): by label name such as "Invoices" or by id such as STARRED or UNREAD. Remove INBOX to archive; remove UNREAD to mark as read.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) =>
    describeNamed('the Gmail message', withValue.messageId, {
      labels: withValue.add,
      removing: withValue.remove,
    }),
  input: z
    .strictObject({
      messageId: MessageId.describe('The Gmail message id, e.g. "{{ trigger.id }}".'),
      add: z
        .array(LabelRef)
        .max(100)
        .default([])
        .describe(
          'Labels to add: names ("Invoices", "Clients/Acme") or ids ("STARRED", "IMPORTANT", "Label_12").',
        ),
      remove: z
        .array(LabelRef)
        .max(100)
        .default([])
        .describe('Labels to take off, e.g. ["UNREAD"] to mark as read or ["INBOX"] to archive.'),
    })
    .refine((value) => value.add.length + value.remove.length > 0, {
      message: 'name at least one label to add or remove',
      path: ['add'],
    }),
  output: z.object({
    id: z.string().describe('The message id.'),
    threadId: z.string().describe('Its conversation.'),
    labelIds: z.array(z.string()).describe('The labels it has now.'),
  }),
  async run(input, ctx) {
    const addLabelIds = await resolveLabels(ctx.client, input.add, ctx.signal);
    const removeLabelIds = await resolveLabels(ctx.client, input.remove, ctx.signal);
    const response = await ctx.client.send(
      {
        method: 'POST',
        path: `/users/me/messages/${encodeURIComponent(input.messageId)}/modify`,
        json: { addLabelIds, removeLabelIds },
      },
      ctx.signal,
    );
    return Modified.parse(response.body);
  },
});
