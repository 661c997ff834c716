import { z } from 'zod';

/** A Gmail message id: hexadecimal, e.g. "18c2f0a1b2c3d4e5". */
export const MessageId = z
  .string()
  .regex(/^[0-9a-zA-Z_-]{1,64}$/, 'a Gmail message id, e.g. "18c2f0a1b2c3d4e5"');
