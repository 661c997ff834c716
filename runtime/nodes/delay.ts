import { z } from 'zod';
import { defineCoreNode, noBranches, nodeFailure } from './define-core-node.ts';

export const MAX_DELAY_MS = 366 * 24 * 3600 * 1000;

export const CoreDelayWith = z
  .strictObject({
    ms: z.number().int().min(0).max(MAX_DELAY_MS).optional().describe('How long to wait, in milliseconds.'),
    until: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('Wait until this ISO 8601 time with a zone, e.g. "2030-01-01T09:00:00Z".'),
  })
  .refine(
    (value) => (value.ms === undefined) !== (value.until === undefined),
    'set exactly one of "ms" or "until"',
  );

/** How long an early wake-up may be and still count as on time. */
const EARLY_MS = 5;

export const delayNode = defineCoreNode({
  uses: 'core.delay',
  title: 'Delay',
  description:
    'Waits durably (survives restarts): with.ms milliseconds, or with.until an ISO 8601 time with a zone. ' +
    'Set exactly one.',
  contract: {
    title: 'Delay (durable wait)',
    text: '`with.ms` or `with.until` (ISO time): a durable wait before the next node.',
  },
  effect: 'pure',
  inline: false,
  claimless: false,
  with: CoreDelayWith,
  branches: noBranches,
  literalFields: [],
  shape: ['[/', '/]'],
  async run(ctx) {
    const input = ctx.setInput(await ctx.evaluate(ctx.node.with));
    const delay = CoreDelayWith.parse(input);
    const until = delay.until ? new Date(delay.until) : new Date(Date.now() + (delay.ms ?? 0));
    if (Number.isNaN(until.getTime())) {
      throw nodeFailure(
        'E_PARAMS',
        `core.delay: "until" is not a valid time.`,
        'Give an ISO 8601 time with a zone.',
      );
    }
    return { kind: 'wait', input, wait: until, wakeAt: until };
  },
  async begin(wait, ctx) {
    const until = wait as Date;
    ctx.wakeAt(until);
    ctx.event('step.waiting', { ...ctx.step, until: until.toISOString() });
  },
  async resume(ctx) {
    if (ctx.wakeAt && ctx.wakeAt.getTime() > Date.now() + EARLY_MS)
      return { kind: 'pending', requeueAt: ctx.wakeAt };
    return { kind: 'succeeded', input: null, output: { resumedAt: new Date().toISOString() } };
  },
  simulate: () => ({ status: 'would-wait', output: {} }),
});
