import { z } from 'zod';
import { defineAction, defineConnector, defineTrigger } from '../../../connectors/sdk/index.ts';
import { createCatalog } from '../catalog.ts';

/** A small connector for validator tests, independent of the built-in connectors. */
export const acmeConnector = defineConnector<{ token: string }, undefined>({
  id: 'acme',
  version: '1.0.0',
  title: 'Acme',
  description: 'A test connector.',
  credential: { type: 'acme', schema: z.object({ token: z.string() }), howToGet: 'Ask Acme.' },
  createClient: () => undefined,
  actions: [
    defineAction({
      key: 'sendMessage',
      title: 'Send a message',
      description: 'Sends a message to a channel.',
      effect: 'write',
      idempotent: false,
      input: z.strictObject({
        channel: z.string().min(1).describe('Channel name, e.g. "#general".'),
        text: z.string().min(1).describe('Message text.'),
        priority: z.number().int().min(1).max(5).optional().describe('1–5.'),
        url: z.url().optional(),
        headers: z.record(z.string(), z.string()).optional(),
      }),
      output: z.object({ id: z.string() }),
      run: async () => ({ id: '1' }),
    }),
    defineAction({
      key: 'getItem',
      title: 'Get an item',
      description: 'Reads one item.',
      effect: 'read',
      idempotent: true,
      input: z.strictObject({ id: z.number().int() }),
      output: z.object({ id: z.number(), name: z.string() }),
      run: async (input) => ({ id: input.id, name: 'x' }),
    }),
  ],
  triggers: [
    defineTrigger({
      key: 'itemCreated',
      title: 'Item created',
      description: 'When an item is created.',
      kind: 'webhook',
      with: z.strictObject({ label: z.string().optional() }),
      data: z.object({ item: z.object({ id: z.number(), name: z.string() }) }),
      sample: { item: { id: 1, name: 'x' } },
      verify: () => false,
      parse: () => undefined,
    }),
  ],
  docPath: '/dev/null',
});

/** Catalog of the core nodes plus the acme test connector. */
export const testCatalog = createCatalog([acmeConnector]);
