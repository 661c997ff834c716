import { z } from 'zod';

export const RedisKey = z
  .string()
  .min(1)
  .max(1024)
  .describe('The key, e.g. "orders:1234:status" (the credential’s keyPrefix, if any, is put in front).');

export const TimeoutMs = z
  .number()
  .int()
  .min(100)
  .max(60_000)
  .default(5_000)
  .describe('Give up when Redis has not answered after this many milliseconds, e.g. 2000 (default 5000).');
