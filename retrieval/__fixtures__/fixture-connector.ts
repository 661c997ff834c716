import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import {
  type ConnectorDefinition,
  defineAction,
  defineConnector,
  defineTrigger,
} from '../../connectors/sdk/index.ts';

/** A small connector used by retrieval tests (the real connectors are indexed by the quality test). */
export const chatFixtureConnector: ConnectorDefinition = defineConnector<undefined, undefined>({
  id: 'chatfix',
  version: '1.0.0',
  title: 'ChatFix',
  description: 'A team chat service used as a retrieval test fixture.',
  createClient: () => undefined,
  actions: [
    defineAction({
      key: 'postMessage',
      title: 'Post a message',
      description: 'Posts a text message to a channel.',
      effect: 'write',
      idempotent: false,
      input: z.object({
        channel: z.string().describe('Channel name like #general or a channel id.'),
        text: z.string().describe('The message text, markdown allowed.'),
      }),
      output: z.object({ ts: z.string() }),
      run: async () => ({ ts: '1' }),
    }),
    defineAction({
      key: 'addReaction',
      title: 'Add a reaction',
      description: 'Adds an emoji reaction to an existing message.',
      effect: 'write',
      idempotent: true,
      input: z.object({
        channel: z.string().describe('Channel of the message.'),
        timestamp: z.string().describe('Timestamp id of the message to react to.'),
        name: z.string().describe('Emoji name without colons, e.g. thumbsup.'),
      }),
      output: z.object({}),
      run: async () => ({}),
    }),
  ],
  triggers: [
    defineTrigger({
      key: 'messagePosted',
      title: 'Message posted',
      description: 'Starts the workflow when someone posts a message in a channel the bot is in.',
      kind: 'event',
      with: z.object({ channel: z.string().optional().describe('Only messages in this channel.') }),
      data: z.object({ channel: z.string(), user: z.string(), text: z.string() }),
      sample: { channel: 'C1', user: 'U1', text: 'hello' },
      parse: () => undefined,
    }),
  ],
  docPath: fileURLToPath(new URL('./fixture-doc.md', import.meta.url)),
});
