import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { ChannelId, MessageContent, PostedMessage, TeamId, toPostedMessage } from '../client.ts';
import { rest } from '../kit.ts';

export const postChannelMessage = rest.action({
  key: 'postChannelMessage',
  title: 'Post in a Teams channel',
  description:
    'Post a new message (a new conversation) in a Microsoft Teams channel as the connected user, text or HTML, with an optional subject line.',
  effect: 'write',
  idempotent: false,
  describeTarget: (withValue) =>
    describeNamed('the Teams channel', withValue.channelId, { team: withValue.teamId }),
  input: z.strictObject({
    teamId: TeamId.describe(
      'The team id (a GUID: groupId= in the channel link), e.g. "fbe2bf47-16c8-47cf-b4a5-4b9b187c508b".',
    ),
    channelId: ChannelId.describe(
      'The channel id from the channel link, e.g. "19:4a95f7d8db4c4e7fae857bcebe0623e6@thread.tacv2".',
    ),
    ...MessageContent,
    subject: z
      .string()
      .max(255)
      .optional()
      .describe('A subject line shown above the message, e.g. "Release 2.4".'),
  }),
  output: PostedMessage,
  http: {
    method: 'POST',
    path: '/teams/{teamId}/channels/{channelId}/messages',
    json: (input) => ({
      body: { contentType: input.contentType, content: input.text },
      ...(input.subject ? { subject: input.subject } : {}),
    }),
  },
  project: (response) => toPostedMessage(response.body),
});

export const replyToChannelMessage = rest.action({
  key: 'replyToChannelMessage',
  title: 'Reply in a Teams channel thread',
  description: 'Reply to a message of a Microsoft Teams channel, in its thread, as the connected user.',
  effect: 'write',
  idempotent: false,
  describeTarget: (withValue) =>
    describeNamed('the thread of Teams message', withValue.messageId, { channel: withValue.channelId }),
  input: z.strictObject({
    teamId: TeamId.describe('The team id (a GUID), e.g. "fbe2bf47-16c8-47cf-b4a5-4b9b187c508b".'),
    channelId: ChannelId.describe('The channel id, e.g. "19:4a95f7d8db4c4e7fae857bcebe0623e6@thread.tacv2".'),
    messageId: z
      .string()
      .regex(/^\d{1,20}$/, 'a Teams message id (digits)')
      .describe('The id of the message to answer, e.g. "1616965872395" (from postChannelMessage).'),
    ...MessageContent,
  }),
  output: PostedMessage,
  http: {
    method: 'POST',
    path: '/teams/{teamId}/channels/{channelId}/messages/{messageId}/replies',
    json: (input) => ({ body: { contentType: input.contentType, content: input.text } }),
  },
  project: (response) => toPostedMessage(response.body),
});
