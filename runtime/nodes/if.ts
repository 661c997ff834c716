import { z } from 'zod';
import { Condition, defineCoreNode, truthy } from './define-core-node.ts';

export const CoreIfWith = z.strictObject({ condition: Condition });

export const ifNode = defineCoreNode({
  uses: 'core.if',
  title: 'If',
  description:
    'Branches on a condition. with.condition is a boolean expression, e.g. "{{ trigger.body.amount > 100 }}". ' +
    'Connect outgoing edges with branch "true" or "false"; nodes that depend only on the branch not taken are skipped.',
  contract: {
    title: 'If (condition)',
    text: '`with.condition`: an expression. Branches `true` and `false`: routes the run one way or the other.',
  },
  effect: 'pure',
  inline: true,
  claimless: true,
  with: CoreIfWith,
  branches: () => ['true', 'false'],
  watchedBranches: () => ['true', 'false'],
  literalFields: [],
  shape: ['{', '}'],
  async run(ctx) {
    const input = ctx.setInput((await ctx.evaluate(ctx.node.with)) as Record<string, unknown>);
    const { condition } = CoreIfWith.parse({ ...input, condition: truthy(input.condition) });
    return { kind: 'succeeded', input, output: { result: condition }, branch: String(condition) };
  },
  simulate(input) {
    const result = truthy(input.condition);
    return { status: 'ran', output: { result }, branch: String(result) };
  },
});
