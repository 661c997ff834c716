import { z } from 'zod';
import { defineCoreNode, noBranches } from './define-core-node.ts';

export const CoreRespondWith = z.strictObject({
  status: z.number().int().min(100).max(599).describe('HTTP status code, e.g. 200.'),
  body: z.unknown().describe('The response body: JSON value or text.'),
  headers: z.record(z.string(), z.string()).optional().describe('Response headers.'),
});

export const respondNode = defineCoreNode({
  uses: 'core.respond',
  title: 'Respond to webhook',
  description:
    "Sets the HTTP response of a webhook-triggered run: with.status, with.body, optional with.headers. The run's " +
    'output becomes the body. Only meaningful when trigger.type is "webhook".',
  contract: {
    title: 'Respond (webhook HTTP response)',
    text: "`with.status`, `with.body`, optional `with.headers`: the webhook's HTTP response.",
  },
  effect: 'write',
  // Its write is the run's response, committed by the transaction that records the step (a chain ends there).
  inline: true,
  claimless: true,
  with: CoreRespondWith,
  branches: noBranches,
  literalFields: [],
  trigger: {
    type: 'webhook',
    warning: 'W_RESPOND_WITHOUT_WEBHOOK',
    reason: 'there is no HTTP request to answer',
    hint: 'Use a "webhook" trigger, or remove the core.respond node (the run output is the last step\'s output).',
  },
  shape: ['>', ']'],
  async run(ctx) {
    const input = ctx.setInput(await ctx.evaluate(ctx.node.with));
    const respond = CoreRespondWith.parse(input);
    return { kind: 'succeeded', input, output: respond, respond };
  },
  simulate: (input) => ({ status: 'ran', output: { status: input.status ?? 200, body: input.body } }),
});
