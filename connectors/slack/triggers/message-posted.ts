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
  files: z
    .array(
      z.object({
        id: z.string().describe('Slack file id (F…): give it to slack.downloadFile as `fileId`.'),
        name: z.string().optional().describe('File name.'),
        mimetype: z.string().optional().describe('Media type Slack recorded.'),
        size: z.number().optional().describe('Size in bytes.'),
        urlPrivate: z
          .string()
          .optional()
          .describe('url_private (needs the bot token: use slack.downloadFile).'),
      }),
    )
    .optional()
    .describe('Files attached to the message, e.g. `{{ trigger.files[0].id }}`.'),
});
export type MessagePostedData = z.infer<typeof MessagePostedData>;

export const messagePosted = defineTrigger({
  key: 'messagePosted',
  title: 'Message posted in Slack',
  description:
    'Starts the workflow when a message is posted in a Slack channel the app is in (optionally filtered).',
  kind: 'event',
  senderEvents: ['message.channels', 'message.groups'],
  data: MessagePostedData,
  parse: (event) => parseSlackMessageEvent(event),
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

const SlackMessageEvent = z.object({
  type: z.literal('message'),
  subtype: z.string().optional(),
  channel: z.string(),
  user: z.string().optional(),
  bot_id: z.string().optional(),
  text: z.string().default(''),
  ts: z.string(),
  thread_ts: z.string().optional(),
  team: z.string().optional(),
  files: z
    .array(
      z.object({
        id: z.string(),
        name: z.string().optional(),
        mimetype: z.string().optional(),
        size: z.number().optional(),
        url_private: z.string().optional(),
      }),
    )
    .optional()
    .catch(undefined),
  /** Not Slack's: the bot adds the channel's name (from conversations.info) when it knows it, for `#name` filters. */
  channel_name: z.string().optional(),
});

/** Subtypes that are still "a message was posted" (others are edits, deletions, joins…). */
const POSTED_SUBTYPES = new Set([undefined, 'bot_message', 'thread_broadcast', 'file_share', 'me_message']);

/**
 * Turns a Slack Events API `message` event (the `event` object of an event_callback) into messagePosted
 * trigger data; undefined for edits, deletions, joins and other non-post subtypes.
 */
export function parseSlackMessageEvent(event: unknown, channelName?: string): MessagePostedData | undefined {
  const parsed = SlackMessageEvent.safeParse(event);
  if (!parsed.success || !POSTED_SUBTYPES.has(parsed.data.subtype)) return undefined;
  const { channel, user, bot_id: botId, text, ts, thread_ts: threadTs, team, files } = parsed.data;
  const name = channelName ?? parsed.data.channel_name;
  return {
    channel,
    ...(name ? { channelName: name } : {}),
    ...(user ? { user } : {}),
    ...(botId ? { botId } : {}),
    text,
    ts,
    ...(threadTs ? { threadTs } : {}),
    ...(team ? { team } : {}),
    ...(files && files.length > 0
      ? {
          files: files.map(({ url_private: urlPrivate, ...file }) => ({
            ...file,
            ...(urlPrivate ? { urlPrivate } : {}),
          })),
        }
      : {}),
  };
}
