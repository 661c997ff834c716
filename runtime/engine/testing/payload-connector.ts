import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { defineAction, defineConnector } from '../../../connectors/sdk/define.ts';

/** A nested object `depth` levels deep: { a: { a: … { a: 1 } } }. */
export function nestedValue(depth: number): unknown {
  let value: unknown = 1;
  for (let level = 0; level < depth; level++) value = { a: value };
  return value;
}

/**
 * A connector for abuse tests only: actions whose outputs are hostile to storage (deeply nested, huge, not JSON)
 * and one that holds its slot for a while.
 */
export const payloadConnector = defineConnector<undefined, undefined>({
  id: 'payload',
  version: '1.0.0',
  title: 'Payload (tests)',
  description: 'Test-only actions that return hostile outputs or take their time.',
  createClient: () => undefined,
  actions: [
    defineAction({
      key: 'deep',
      title: 'Deeply nested output',
      description: 'Returns an object nested `depth` levels deep.',
      effect: 'read',
      idempotent: true,
      input: z.object({ depth: z.number().int().min(1) }),
      output: z.unknown(),
      async run(input) {
        return nestedValue(input.depth);
      },
    }),
    defineAction({
      key: 'bigint',
      title: 'A BigInt output',
      description: 'Returns { n: 1n } (JSON.stringify cannot serialise it).',
      effect: 'read',
      idempotent: true,
      input: z.object({}).passthrough(),
      output: z.unknown(),
      async run() {
        return { n: 1n };
      },
    }),
    defineAction({
      key: 'circular',
      title: 'A circular output',
      description: 'Returns an object that contains itself.',
      effect: 'read',
      idempotent: true,
      input: z.object({}).passthrough(),
      output: z.unknown(),
      async run() {
        const value: Record<string, unknown> = { ok: true };
        value.self = value;
        return value;
      },
    }),
    defineAction({
      key: 'large',
      title: 'A large output',
      description: 'Returns { text } with `bytes` characters.',
      effect: 'read',
      idempotent: true,
      input: z.object({ bytes: z.number().int().min(0) }),
      output: z.unknown(),
      async run(input) {
        return { text: 'x'.repeat(input.bytes) };
      },
    }),
    defineAction({
      key: 'slow',
      title: 'Take a while',
      description: 'Waits `ms` milliseconds (or until aborted), then returns { ok: true }.',
      effect: 'read',
      idempotent: true,
      input: z.object({ ms: z.number().int().min(0) }),
      output: z.unknown(),
      async run(input, ctx) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, input.ms);
          ctx.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            resolve();
          });
        });
        return { ok: true };
      },
    }),
  ],
  triggers: [],
  docPath: fileURLToPath(new URL('./payload-connector.ts', import.meta.url)),
});
