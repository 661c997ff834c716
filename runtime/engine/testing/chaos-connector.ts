import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConnectorError } from '../../../connectors/sdk/connector-error.ts';
import { defineAction, defineConnector } from '../../../connectors/sdk/define.ts';

/**
 * A connector for chaos tests only: `chaos.crash` kills its own worker process (a poison step),
 * `chaos.hold` waits until its signal aborts (graceful shutdown) on the first attempt and succeeds later.
 */
export const chaosConnector = defineConnector<undefined, undefined>({
  id: 'chaos',
  version: '1.0.0',
  title: 'Chaos (tests)',
  description: 'Test-only actions that crash or block the worker.',
  createClient: () => undefined,
  actions: [
    defineAction({
      key: 'crash',
      title: 'Crash the worker',
      description: 'Kills the worker process running it (SIGKILL), every time.',
      effect: 'read',
      idempotent: true,
      input: z.object({}).passthrough(),
      output: z.unknown(),
      async run() {
        process.kill(process.pid, 'SIGKILL');
        await new Promise(() => {});
      },
    }),
    defineAction({
      key: 'hold',
      title: 'Hold until aborted',
      description:
        'First attempt: waits until the step is aborted, then fails retryably. Later attempts succeed.',
      effect: 'read',
      idempotent: true,
      input: z.object({}).passthrough(),
      output: z.object({ attempt: z.number() }),
      async run(_input, ctx) {
        if (ctx.attempt > 1) return { attempt: ctx.attempt };
        await new Promise<void>((resolve) => {
          if (ctx.signal.aborted) resolve();
          ctx.signal.addEventListener('abort', () => resolve(), { once: true });
        });
        throw new ConnectorError({
          code: 'E_ABORTED',
          message: 'chaos.hold: aborted by the worker shutting down.',
          retryable: true,
          hint: 'It runs again on another worker.',
        });
      },
    }),
  ],
  triggers: [],
  docPath: fileURLToPath(new URL('./chaos-connector.ts', import.meta.url)),
});
