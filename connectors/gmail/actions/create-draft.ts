import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { action } from '../kit.ts';
import { composeMessage, MessageFields, messageRequest, stableMessageId } from '../mime.ts';

const DraftBody = z.object({
  id: z.string(),
  message: z.object({ id: z.string(), threadId: z.string().optional() }),
});

export const createDraft = action({
  key: 'createDraft',
  title: 'Create a Gmail draft',
  description:
    'Save an email as a draft in Gmail (not sent) for a person to review and send: recipients, subject, body, attachments. A retry after a lost answer may leave two drafts.',
  effect: 'write',
  idempotent: false,
  describeTarget: (withValue) =>
    describeNamed('a Gmail draft to', withValue.to, { subject: withValue.subject }),
  input: z
    .strictObject({
      ...MessageFields,
      to: MessageFields.to.optional(),
      threadId: z
        .string()
        .regex(/^[0-9a-f]{1,32}$/i)
        .optional()
        .describe('Make it a draft reply in this conversation (a Gmail thread id).'),
    })
    .refine((value) => value.text !== undefined || value.html !== undefined, {
      message: 'give `text`, `html` or both',
      path: ['text'],
    }),
  output: z.object({
    draftId: z.string().describe('The draft id.'),
    messageId: z.string().describe('The Gmail id of the draft’s message.'),
    threadId: z.string().describe('Its conversation ("" when Gmail gave none).'),
  }),
  async run(input, ctx) {
    const message = await composeMessage(input, ctx.files, stableMessageId(ctx.idempotencyKey));
    const response = await ctx.client.send(messageRequest('draft', message, input.threadId), ctx.signal);
    const draft = DraftBody.parse(response.body);
    return { draftId: draft.id, messageId: draft.message.id, threadId: draft.message.threadId ?? '' };
  },
});
