import { z } from 'zod';
import { defineTrigger } from '../../sdk/define.ts';

export const MessagePostedFilters = z.strictObject({
  channel: z
    .string()
    .min(1)
    .optional()
    .describe('Only messages in this channel (ID C…, or #name). Default: every channel the app is in.'),
  textContains: z
    .string()
    .min(1)
    .optional()
    .describe('Only messages whose text contains this (case-insensitive).'),
  includeBots: z
    .boolean()
    .default(false)
    .describe('Also fire for messages posted by bots (default false, avoids loops).'),
});
export type MessagePostedFilters = z.infer<typeof MessagePostedFilters>;

/** What `trigger` holds in expressions: built by the Slack bot from a `message` event. */
export const MessagePostedData = z.object({
  channel: z.string().describe('Channel ID.'),
  channelName: z.string().optional().describe('Channel name without #, when known.'),
  user: z.string().optional().describe('User ID of the author.'),
  botId: z.string().optional().describe('Set when a bot posted it.'),
  text: z.string().describe('Message text.'),
  ts: z.string().describe('Message ts (reply with slack.replyInThread threadTs: trigger.ts).'),
  threadTs: z.string().optional().describe('Parent ts when the message is a thread reply.'),
  team: z.string().optional().describe('Workspace ID.'),
});
export type MessagePostedData = z.infer<typeof MessagePostedData>;

export const messagePosted = defineTrigger({
  key: 'messagePosted',
  title: 'Message posted in Slack',
  description:
    'Starts the workflow when a message is posted in a Slack channel the app is in (optionally filtered).',
  kind: 'event',
  with: MessagePostedFilters,
  sample: {
    channel: 'C0123456789',
    channelName: 'support',
    user: 'U0123456789',
    text: 'The checkout page is down again',
    ts: '1712345678.000100',
    team: 'T0123456789',
  } satisfies MessagePostedData,
  matches(filters, data) {
    const message = MessagePostedData.safeParse(data);
    if (!message.success) return false;
    const { channel, channelName, botId, text } = message.data;
    if (filters.channel) {
      const wanted = filters.channel.replace(/^#/, '');
      if (wanted !== channel && wanted !== channelName) return false;
    }
    if (!filters.includeBots && botId) return false;
    if (filters.textContains && !text.toLowerCase().includes(filters.textContains.toLowerCase()))
      return false;
    return true;
  },
});
