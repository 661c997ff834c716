import { z } from 'zod';
import { defineCoreNode, noBranches, nodeFailure } from './define-core-node.ts';

export const MAX_FOREACH_CONCURRENCY = 50;
/** Items a dry run goes through. */
const DRY_RUN_ITEMS = 5;

export const CoreForeachWith = z.strictObject({
  items: z
    .array(z.unknown())
    .describe('The list to loop over, usually one expression such as "{{ trigger.body.rows }}".'),
  concurrency: z
    .number()
    .int()
    .min(1)
    .max(MAX_FOREACH_CONCURRENCY)
    .default(1)
    .describe(`How many items run at once, 1–${MAX_FOREACH_CONCURRENCY} (default 1).`),
});

type ForeachWait = { items: number; concurrency: number };

export const foreachNode = defineCoreNode({
  uses: 'core.foreach',
  title: 'For each',
  description:
    'Runs a body of nodes once per item of a list. with.items is the list (usually "{{ steps.x.output.rows }}"), ' +
    'with.concurrency how many at once (default 1). The body is the node\'s own "do": { "nodes", "edges" } beside ' +
    '"with"; body expressions read "item" and "index" and may read steps upstream of the loop. Output: the body\'s ' +
    'results in item order (per item: the output of its leaf node). Use it for every loop: edges may not form cycles.',
  contract: {
    title: 'For each (loop over items)',
    text: "`with.items` (a list), optional `concurrency` (default 1); the body is the node's own `do: { nodes, edges }`. Output: the body's results in item order; `item` and `index` in body expressions.",
  },
  effect: 'pure',
  inline: false,
  claimless: false,
  with: CoreForeachWith,
  branches: noBranches,
  literalFields: [],
  body: true,
  async run(ctx) {
    const input = ctx.setInput((await ctx.evaluate(ctx.node.with)) as Record<string, unknown>);
    if (!Array.isArray(input.items)) {
      throw nodeFailure(
        'E_PARAMS',
        `core.foreach: "items" evaluated to ${input.items === null ? 'null' : typeof input.items}, not a list.`,
        'Make "items" an expression that yields an array, e.g. "{{ trigger.body.rows }}".',
      );
    }
    const { items, concurrency } = CoreForeachWith.parse(input);
    if (items.length === 0) return { kind: 'succeeded', input, output: [] };
    const started = Math.min(concurrency, items.length);
    const wait: ForeachWait = { items: items.length, concurrency };
    return {
      kind: 'wait',
      input,
      wait,
      // Read and advanced by the engine as items finish (completeScope).
      state: { total: items.length, started, done: 0, concurrency },
      output: items.map(() => null),
    };
  },
  async begin(value, ctx) {
    const wait = value as ForeachWait;
    ctx.startItems(Math.min(wait.concurrency, wait.items));
    ctx.event('step.waiting', { ...ctx.step, items: wait.items });
  },
  async simulate(input, ctx) {
    const items = Array.isArray(input.items) ? input.items : [];
    const results: unknown[] = [];
    if (ctx.body) {
      for (const [index, item] of items.slice(0, DRY_RUN_ITEMS).entries()) {
        const body = await ctx.runBody(item, index);
        if (!body.ok) return { status: 'failed', error: `the body failed for item ${index}` };
        results.push(body.output);
      }
    }
    const warnings =
      items.length > DRY_RUN_ITEMS
        ? [`dry run covered the first ${DRY_RUN_ITEMS} of ${items.length} items`]
        : [];
    return { status: 'ran', output: results, ...(warnings.length ? { warnings } : {}) };
  },
});
