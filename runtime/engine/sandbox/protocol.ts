import { z } from 'zod';

/** Parent → child: run `code` once with `inputJson`. */
export type SandboxRequest = {
  id: number;
  code: string;
  inputJson: string;
  memoryBytes: number;
  stackBytes: number;
  timeoutMs: number;
};

/** Child → parent. The child is less trusted than the worker: everything it says is parsed. */
export const SandboxReply = z.union([
  z.object({ type: z.literal('ready') }),
  z.object({
    type: z.literal('result'),
    id: z.number(),
    ok: z.literal(true),
    outputJson: z.string(),
    /** The child's WASM heap grew: the parent replaces it rather than reuse a bloated process. */
    recycle: z.boolean(),
  }),
  z.object({
    type: z.literal('result'),
    id: z.number(),
    ok: z.literal(false),
    kind: z.enum(['error', 'timeout', 'memory', 'stack', 'output', 'never-settles']),
    message: z.string().max(10_000),
    line: z.number().int().optional(),
    column: z.number().int().optional(),
    recycle: z.boolean(),
  }),
]);
export type SandboxReply = z.infer<typeof SandboxReply>;
