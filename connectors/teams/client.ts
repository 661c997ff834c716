import { z } from 'zod';
import { type GraphCredential, graphApi } from '../microsoft/graph.ts';

/** The delegated Graph permissions the actions use. */
export const TEAMS_SCOPES = ['ChannelMessage.Send', 'ChatMessage.Send'] as const;

export const teamsApi = graphApi('teams', TEAMS_SCOPES, {
  400: 'Change the field the message names (an empty body, HTML Teams does not take, a malformed team, channel or chat id).',
  404: 'Check the team, channel or chat id: it does not exist or the signed-in account is not a member (ids from the channel’s "Get link to channel").',
});

export type { GraphCredential as TeamsCredential };

export const TeamId = z
  .string()
  .regex(/^[0-9a-fA-F-]{36}$/, 'a team id (a GUID, the groupId in the channel link)');
export const ChannelId = z.string().regex(/^19:[^/\s]{1,200}$/, 'a channel id such as 19:abc…@thread.tacv2');
export const ChatId = z.string().regex(/^19:[^/\s]{1,300}$/, 'a chat id such as 19:abc…@thread.v2');

export const MessageContent = {
  text: z
    .string()
    .min(1)
    .max(28_000)
    .describe('The message, e.g. "Build 142 is green ✅". HTML when contentType is html.'),
  contentType: z
    .enum(['text', 'html'])
    .default('text')
    .describe('"text" (default) or "html" (e.g. "<b>Deploy</b> done", links, lists).'),
};

export const PostedMessage = z.object({
  id: z.string().describe('The message id.'),
  createdAt: z.string().describe('When Teams stored it (ISO 8601).'),
  webUrl: z.string().describe('Link to the message in Teams ("" for chats).'),
});

const ChatMessageBody = z.object({
  id: z.string(),
  createdDateTime: z.string().optional(),
  webUrl: z.string().nullable().optional(),
});

export function toPostedMessage(body: unknown): z.infer<typeof PostedMessage> {
  const message = ChatMessageBody.parse(body);
  return { id: message.id, createdAt: message.createdDateTime ?? '', webUrl: message.webUrl ?? '' };
}
