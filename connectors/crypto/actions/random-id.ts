import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { defineAction } from '../../sdk/define.ts';

export const RandomIdInput = z.strictObject({
  format: z
    .enum(['uuid', 'hex', 'base64url', 'alphanumeric'])
    .default('uuid')
    .describe('uuid (v4, default), hex, base64url or alphanumeric (A-Z a-z 0-9).'),
  length: z
    .int()
    .min(8)
    .max(256)
    .default(32)
    .describe('Characters of a hex, base64url or alphanumeric id (8–256, default 32); ignored for uuid.'),
});

export const RandomIdOutput = z.object({
  id: z.string().describe('The random id (from a cryptographic source).'),
});

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export const randomId = defineAction({
  key: 'randomId',
  title: 'Random id',
  description:
    'Make a random id from a cryptographic source: a UUID v4, or hex/base64url/alphanumeric of a given length ' +
    '(tokens, nonces, file names). A new value on every run; a step retry keeps its first value.',
  effect: 'read',
  idempotent: true,
  input: RandomIdInput,
  output: RandomIdOutput,
  async run(input) {
    if (input.format === 'uuid') return { id: randomUUID() };
    if (input.format === 'alphanumeric') {
      let id = '';
      for (let at = 0; at < input.length; at++) id += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
      return { id };
    }
    const encoded = randomBytes(input.length).toString(input.format);
    return { id: encoded.slice(0, input.length) };
  },
});
