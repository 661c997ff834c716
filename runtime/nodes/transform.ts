import { z } from 'zod';
import { defineCoreNode, noBranches } from './define-core-node.ts';

export const CoreTransformWith = z.strictObject({
  value: z.unknown().describe('The output: usually one expression, or an object/array holding expressions.'),
});

export const transformNode = defineCoreNode({
  uses: 'core.transform',
  title: 'Transform',
  description:
    'Computes a value from the data so far: with.value, usually one expression such as ' +
    '"{{ steps.fetch.output.body.items[status = \'open\'].title }}" or an object of ' +
    'expressions. Output: the value. Prefer it over core.code for reshaping data.',
  contract: {
    title: 'Transform (compute a value)',
    text: '`with.value`: usually one JSONata expression. Output: the value.',
  },
  effect: 'pure',
  inline: true,
  claimless: true,
  with: CoreTransformWith,
  branches: noBranches,
  literalFields: [],
  async run(ctx) {
    const input = ctx.setInput(await ctx.evaluate(ctx.node.with));
    const { value } = CoreTransformWith.parse(input);
    return { kind: 'succeeded', input, output: value ?? null };
  },
  simulate: (input) => ({ status: 'ran', output: input.value }),
});
