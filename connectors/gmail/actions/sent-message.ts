import { z } from 'zod';

const SentBody = z.object({
  id: z.string(),
  threadId: z.string(),
  labelIds: z.array(z.string()).default([]),
});

export const SentMessage = z.object({
  id: z.string().describe('Gmail id of the sent message.'),
  threadId: z.string().describe('The conversation it is in.'),
  labelIds: z.array(z.string()).describe('Its labels, e.g. ["SENT"].'),
});

export function toSentMessage(body: unknown): z.infer<typeof SentMessage> {
  const sent = SentBody.parse(body);
  return { id: sent.id, threadId: sent.threadId, labelIds: sent.labelIds };
}
