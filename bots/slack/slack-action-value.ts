import { z } from 'zod';

export const SLACK_APPROVE_ACTION = 'vmesh_approve';
export const SLACK_REJECT_ACTION = 'vmesh_reject';
/** "Keep both": the proposals this one replaced are opened again (ConversationPort.keepBoth). */
export const SLACK_KEEP_BOTH_ACTION = 'vmesh_keep_both';

/** What an Approve/Reject/Keep both button carries (Slack allows 2,000 characters in a button value). */
export const SlackActionValue = z.strictObject({
  v: z.literal(1),
  proposalId: z.string().min(1).max(200),
  decision: z.enum(['approve', 'reject', 'keep_both']),
});
export type SlackActionValue = z.infer<typeof SlackActionValue>;

export function encodeSlackActionValue(value: Omit<SlackActionValue, 'v'>): string {
  return JSON.stringify(SlackActionValue.parse({ v: 1, ...value }));
}

/** `undefined` for anything that is not a value we encoded (a tampered or foreign button). */
export function parseSlackActionValue(raw: unknown): SlackActionValue | undefined {
  if (typeof raw !== 'string') return undefined;
  try {
    const parsed = SlackActionValue.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
