import { z } from 'zod';
import { Condition, defineCoreNode, truthy } from './define-core-node.ts';

/** Case names of core.switch: they become branch names, so they are identifier-like (and never "default"/"error"). */
export const SWITCH_CASE_PATTERN = /^[a-zA-Z_][a-zA-Z0-9_-]{0,62}$/;
const RESERVED_BRANCHES = ['default', 'error'];

export const CoreSwitchWith = z.strictObject({
  cases: z
    .record(
      z
        .string()
        .regex(SWITCH_CASE_PATTERN, 'a case name is a letter or _ then letters, digits, _ or - (at most 63)'),
      Condition,
    )
    .refine((cases) => Object.keys(cases).length > 0, 'cases needs at least one case')
    .refine(
      (cases) => !Object.keys(cases).some((name) => RESERVED_BRANCHES.includes(name)),
      '"default" and "error" are reserved branch names and cannot be case names',
    )
    .describe(
      'Case name → condition, evaluated in order; the first true case is the branch taken, else "default".',
    ),
});

// Module-level: zod compiles an object schema on its first parse; an inline one would recompile per step.
const Cases = z.record(z.string(), z.unknown());

function caseNames(withValue: Record<string, unknown>): string[] {
  const cases = withValue.cases;
  const names =
    typeof cases === 'object' && cases !== null && !Array.isArray(cases)
      ? Object.keys(cases)
      : ([] as string[]);
  return names.filter((name) => !RESERVED_BRANCHES.includes(name));
}

export const switchNode = defineCoreNode({
  uses: 'core.switch',
  title: 'Switch',
  description:
    'Picks one of several branches. with.cases maps a case name to a condition; cases are tried in order and the ' +
    'first true one is the branch taken, else "default". Outgoing edges name a case or "default" as branch.',
  contract: {
    title: 'Switch (several cases)',
    text: '`with.cases`: object of case name → condition, evaluated in order. Branches: the first matching case name, else `default`.',
  },
  effect: 'pure',
  inline: true,
  claimless: true,
  with: CoreSwitchWith,
  branches: (withValue) => [...caseNames(withValue), 'default'],
  watchedBranches: caseNames,
  literalFields: [],
  shape: ['{', '}'],
  async run(ctx) {
    // Cases are evaluated in order and only until one is true.
    const evaluated: Record<string, unknown> = {};
    const conditions: Record<string, boolean> = {};
    let taken = 'default';
    for (const [name, condition] of Object.entries(Cases.parse(ctx.node.with.cases ?? {}))) {
      evaluated[name] = await ctx.evaluate(condition);
      conditions[name] = truthy(evaluated[name]);
      if (conditions[name]) {
        taken = name;
        break;
      }
    }
    const input = ctx.setInput({ cases: evaluated });
    CoreSwitchWith.parse({ cases: conditions });
    return { kind: 'succeeded', input, output: { case: taken }, branch: taken };
  },
  simulate(input) {
    const cases = (input.cases ?? {}) as Record<string, unknown>;
    const branch = Object.entries(cases).find(([, condition]) => truthy(condition))?.[0] ?? 'default';
    return { status: 'ran', output: { case: branch }, branch };
  },
});
