import { createHash } from 'node:crypto';
import { z } from 'zod';
import { dataError } from '../../sdk/data-error.ts';
import { defineAction } from '../../sdk/define.ts';
import { describeNamed } from '../../sdk/describe-target.ts';
import { stateOf } from '../state-port.ts';

const MAX_ITEMS = 10_000;
/** Longer item keys are stored as their sha256. */
const MAX_KEY_CHARS = 200;
const KEY_PATH = /^[A-Za-z_$][\w$-]*(?:\.[A-Za-z_$0-9][\w$-]*)*$/;

export const StateDedupeInput = z.strictObject({
  items: z
    .array(z.unknown())
    .max(MAX_ITEMS)
    .describe('The items of this run, e.g. "{{ steps.fetch.output.body.items }}".'),
  key: z
    .string()
    .regex(KEY_PATH, 'a dot path such as "id" or "user.email"')
    .max(200)
    .optional()
    .describe(
      'Dot path to each item\'s key, e.g. "id", "guid" or "user.email". Omit when the items are themselves strings or numbers.',
    ),
  scope: z
    .string()
    .min(1)
    .max(100)
    .default('default')
    .describe('Separate sets of seen keys in one workflow (e.g. per source). Default "default".'),
});
export const StateDedupeOutput = z.object({
  items: z
    .array(z.unknown())
    .describe('The items whose key no earlier run (and no earlier item here) had, in order.')
    .meta({ examples: [[{ id: 'new-item-1' }]] }),
  duplicates: z.int().describe('How many items were dropped as already seen.'),
  keys: z.array(z.string()).describe('The keys of the items passed on.'),
});

function keyOf(item: unknown, path: string | undefined, index: number): string {
  let value: unknown = item;
  for (const part of path ? path.split('.') : []) {
    value =
      value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    const text = String(value);
    return text.length > MAX_KEY_CHARS ? `sha256:${createHash('sha256').update(text).digest('hex')}` : text;
  }
  throw dataError(
    'E_DEDUPE_KEY',
    `state.dedupe: item ${index} has no ${path ? `"${path}"` : 'key'} that is a string or number.`,
    path
      ? 'Point key at a field every item has (e.g. "id"), or filter the items first.'
      : 'Set key to the dot path of each item\'s id (e.g. "id"): the items are not strings or numbers.',
  );
}

export const dedupe = defineAction({
  key: 'dedupe',
  title: 'Remove items seen in earlier runs',
  description:
    'Pass on only the items whose key (a dot path such as "id") no earlier run of this workflow has passed: each ' +
    'key comes through once, even across parallel runs. For polling APIs without a trigger.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) =>
    describeNamed("this workflow's seen-items list", withValue.scope ?? 'default'),
  input: StateDedupeInput,
  output: StateDedupeOutput,
  async run(input, ctx) {
    const firstByKey = new Map<string, number>();
    input.items.forEach((item, index) => {
      const key = keyOf(item, input.key, index);
      if (!firstByKey.has(key)) firstByKey.set(key, index);
    });
    const result = await stateOf(ctx, 'state.dedupe').apply(ctx.idempotencyKey, {
      op: 'dedupe',
      scope: input.scope,
      keys: [...firstByKey.keys()],
    });
    if (result.op !== 'dedupe') throw new Error(`state.dedupe: unexpected result ${result.op}`);
    const fresh = new Set(result.fresh);
    const keys = [...firstByKey.keys()].filter((key) => fresh.has(key));
    const items = keys.map((key) => input.items[firstByKey.get(key) as number]);
    return { items, duplicates: input.items.length - items.length, keys };
  },
});
