import { z } from 'zod';
import { dataError } from '../../sdk/data-error.ts';
import { defineAction } from '../../sdk/define.ts';
import { describeNamed } from '../../sdk/describe-target.ts';
import { StateKey, StateValue, stateOf } from '../state-port.ts';

const Entry = {
  value: z
    .unknown()
    .describe('The stored JSON value (null when the key does not exist).')
    .meta({ examples: ['stored value'] }),
  version: z
    .int()
    .describe("The key's version: 1 after the first write, +1 on each; 0 when it does not exist."),
};

export const StateGetInput = z.strictObject({
  key: StateKey,
  default: z.unknown().optional().describe('Returned as value when the key does not exist (default null).'),
});
export const StateGetOutput = z.object({ found: z.boolean().describe('Whether the key exists.'), ...Entry });

export const get = defineAction({
  key: 'get',
  title: 'Get a stored value',
  description:
    'Read a value this workflow stored in an earlier run (state.set / state.increment): a cursor, a last-seen id, ' +
    'a counter. Gives default (or null) and version 0 when the key is not set.',
  effect: 'read',
  idempotent: true,
  input: StateGetInput,
  output: StateGetOutput,
  async run(input, ctx) {
    const entry = await stateOf(ctx, 'state.get').get(input.key);
    if (!entry) return { found: false, value: input.default ?? null, version: 0 };
    return { found: true, value: entry.value, version: entry.version };
  },
});

function conflict(where: string, key: string, current: { value: unknown; version: number } | null) {
  return dataError(
    'E_STATE_CONFLICT',
    `${where}: "${key}" changed since it was read (now version ${current?.version ?? 0}); nothing was written.`,
    'Another run wrote it first. Read it again with state.get and retry, or route the "error" branch (onError: "route").',
  );
}

export const StateSetInput = z.strictObject({
  key: StateKey,
  value: StateValue,
  expectedVersion: z
    .int()
    .min(0)
    .optional()
    .describe(
      'Compare-and-set: write only if the key is at this version (0: only if it does not exist yet).',
    ),
  expectedValue: z
    .unknown()
    .optional()
    .describe('Compare-and-set: write only if the key holds this JSON value now.'),
});
export const StateSetOutput = z.object({
  version: z.int().describe("The key's version after the write."),
  previous: z.unknown().describe('The value before the write (null when the key was new).'),
});

export const set = defineAction({
  key: 'set',
  title: 'Store a value',
  description:
    'Store a JSON value under a key for later runs of this workflow (a cursor, the last processed id). Optional ' +
    'compare-and-set by expectedVersion or expectedValue; a retried step writes once.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) => describeNamed("this workflow's state key", withValue.key),
  input: StateSetInput,
  output: StateSetOutput,
  async run(input, ctx) {
    const result = await stateOf(ctx, 'state.set').apply(ctx.idempotencyKey, {
      op: 'set',
      key: input.key,
      value: input.value,
      expectedVersion: input.expectedVersion,
      ...(input.expectedValue === undefined ? {} : { expectedValue: input.expectedValue }),
    });
    if (result.op === 'conflict') throw conflict('state.set', input.key, result.current);
    if (result.op !== 'set') throw new Error(`state.set: unexpected result ${result.op}`);
    return { version: result.version, previous: result.previous?.value ?? null };
  },
});

export const StateIncrementInput = z.strictObject({
  key: StateKey,
  by: z
    .number()
    .finite()
    .default(1)
    .describe('Added to the number stored (default 1; negative to decrement).'),
});
export const StateIncrementOutput = z.object({
  value: z.number().describe('The number after the increment.'),
  version: z.int().describe("The key's version after the write."),
});

export const increment = defineAction({
  key: 'increment',
  title: 'Increment a counter',
  description:
    'Add a number to a stored counter (created at 0) atomically: parallel runs never lose a count, and a retried ' +
    'step adds once. Output: the new value.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) => describeNamed("this workflow's state key", withValue.key),
  input: StateIncrementInput,
  output: StateIncrementOutput,
  async run(input, ctx) {
    const result = await stateOf(ctx, 'state.increment').apply(ctx.idempotencyKey, {
      op: 'increment',
      key: input.key,
      by: input.by,
    });
    if (result.op === 'not-a-number') {
      throw dataError(
        'E_STATE_NOT_NUMBER',
        `state.increment: "${input.key}" holds a ${Array.isArray(result.current.value) ? 'list' : typeof result.current.value}, not a number.`,
        'Use another key for the counter, or reset it with state.set to a number.',
      );
    }
    if (result.op !== 'increment') throw new Error(`state.increment: unexpected result ${result.op}`);
    return { value: result.value, version: result.version };
  },
});

export const StateDeleteInput = z.strictObject({
  key: StateKey,
  expectedVersion: z
    .int()
    .min(0)
    .optional()
    .describe('Compare-and-delete: delete only if the key is at this version.'),
});
export const StateDeleteOutput = z.object({ deleted: z.boolean().describe('Whether the key existed.') });

export const remove = defineAction({
  key: 'delete',
  title: 'Delete a stored value',
  description:
    'Delete a stored key of this workflow (a reset, the end of a multi-run job). Deleting a missing key is not an ' +
    'error; optional expectedVersion.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) => describeNamed("this workflow's state key", withValue.key),
  input: StateDeleteInput,
  output: StateDeleteOutput,
  async run(input, ctx) {
    const result = await stateOf(ctx, 'state.delete').apply(ctx.idempotencyKey, {
      op: 'delete',
      key: input.key,
      expectedVersion: input.expectedVersion,
    });
    if (result.op === 'conflict') throw conflict('state.delete', input.key, result.current);
    if (result.op !== 'delete') throw new Error(`state.delete: unexpected result ${result.op}`);
    return { deleted: result.deleted };
  },
});
