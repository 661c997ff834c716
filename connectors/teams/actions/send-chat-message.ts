import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { ChatId, MessageContent, PostedMessage, toPostedMessage } from '../client.ts';
import { rest } from '../kit.ts';

export const sendChatMessage = rest.action({
  key: 'sendChatMessage',
  title: 'Send a Teams chat message',
  description:
    'Send a message in an existing Microsoft Teams chat (one-on-one, group or meeting chat) as the connected user, text or HTML.',
  effect: 'write',
  idempotent: false,
  describeTarget: (withValue) => describeNamed('the Teams chat', withValue.chatId),
  input: z.strictObject({
    chatId: ChatId.describe(
      'The chat id, e.g. "19:2da4c29f6d7041eca70b638b43d45437@thread.v2" (from the chat link).',
    ),
    ...MessageContent,
  }),
  output: PostedMessage,
  http: {
    method: 'POST',
    path: '/chats/{chatId}/messages',
    json: (input) => ({ body: { contentType: input.contentType, content: input.text } }),
  },
  project: (response) => toPostedMessage(response.body),
});
