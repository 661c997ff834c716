import { z } from 'zod';

export const HmacKey = z.strictObject({
  key: z.string().min(1).max(4096).describe('The secret key.'),
  encoding: z
    .enum(['utf8', 'base64', 'hex'])
    .default('utf8')
    .describe('How the key is written: utf8 text (default), base64 or hex bytes.'),
});
export type HmacKey = z.infer<typeof HmacKey>;
