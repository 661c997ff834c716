import { z } from 'zod';

/** Parent → expression process: evaluate the templates in `value` against `scope`. */
export type ExpressionRequest = {
  id: number;
  value: unknown;
  scope: unknown;
  timeoutMs: number;
};

/** Expression process → parent. The process evaluates attacker-written expressions: everything it says is parsed. */
export const ExpressionReply = z.union([
  z.object({ type: z.literal('ready') }),
  /** The request's expression number `index` (1, 2…; the first is not announced) starts: its deadline restarts. */
  z.object({ type: z.literal('expression'), id: z.number(), index: z.number().int().min(1) }),
  z.object({
    type: z.literal('result'),
    id: z.number(),
    ok: z.literal(true),
    defined: z.boolean(),
    value: z.unknown(),
  }),
  z.object({
    type: z.literal('result'),
    id: z.number(),
    ok: z.literal(false),
    code: z.string().max(100),
    message: z.string().max(20_000),
    hint: z.string().max(2_000).optional(),
    details: z.record(z.string(), z.unknown()),
  }),
]);
export type ExpressionReply = z.infer<typeof ExpressionReply>;
