import { z } from 'zod';
import { defineCoreNode, noBranches } from './define-core-node.ts';

export const CoreMergeWith = z.strictObject({});

export const mergeNode = defineCoreNode({
  uses: 'core.merge',
  title: 'Merge',
  description:
    'Joins branches: waits for all incoming edges that were not skipped, then outputs { <fromId>: output }. ' +
    'Use it after a core.if or core.switch when later steps must run whichever branch was taken. with is {}.',
  contract: {
    title: 'Merge (wait for branches)',
    text: 'No parameters. Waits for all incoming edges that were not skipped. Output: `{ <fromId>: output }`.',
  },
  effect: 'pure',
  inline: true,
  claimless: true,
  with: CoreMergeWith,
  branches: noBranches,
  literalFields: [],
  shape: ['((', '))'],
  async run(ctx) {
    CoreMergeWith.parse(ctx.node.with);
    return { kind: 'succeeded', input: null, output: ctx.incomingOutputs() };
  },
  simulate: (_input, ctx) => ({
    status: 'ran',
    output: Object.fromEntries(Object.entries(ctx.steps).map(([id, step]) => [id, step.output])),
  }),
});
