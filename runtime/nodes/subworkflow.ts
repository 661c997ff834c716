import { z } from 'zod';
import { defineCoreNode, noBranches } from './define-core-node.ts';

export const CoreSubworkflowWith = z.strictObject({
  workflow: z
    .string()
    .min(1)
    .max(200)
    .describe(
      'The id or exact name of the workflow to run, written literally (no {{ }}); stored as the id when the document is saved.',
    ),
  input: z.unknown().optional().describe("The child run's trigger data (default {})."),
});

type SubworkflowWait = { workflow: string; input: unknown };

// Module-level: zod compiles an object schema on its first parse; an inline one would recompile per step.
const ChildState = z.object({ childRunId: z.string() });
const ChildReason = z.object({ message: z.string() });

export const subworkflowNode = defineCoreNode({
  uses: 'core.subworkflow',
  title: 'Sub-workflow',
  description:
    'Runs another saved, active workflow of the same owner (with.workflow: its id or name, written literally and ' +
    "stored as the id) with with.input as its trigger data and waits for it. Output: the child run's output.",
  contract: {
    title: 'Sub-workflow (run another workflow)',
    text: "`with.workflow` (id or name), `with.input`. Output: the child run's output.",
  },
  effect: 'write',
  inline: false,
  claimless: false,
  with: CoreSubworkflowWith,
  branches: noBranches,
  literalFields: ['workflow'],
  async run(ctx) {
    // The target is never evaluated: it is the literal id the document was stored with.
    const { workflow, ...rest } = ctx.node.with;
    const input = ctx.setInput({ workflow, ...((await ctx.evaluate(rest)) as Record<string, unknown>) });
    const sub = CoreSubworkflowWith.parse(input);
    const target = await ctx.subworkflowTarget(sub.workflow);
    const wait: SubworkflowWait = { workflow: target.id, input: sub.input ?? {} };
    return { kind: 'wait', input, wait };
  },
  async begin(value, ctx) {
    const wait = value as SubworkflowWait;
    const childRunId = await ctx.startChildRun(wait.workflow, wait.input);
    ctx.event('step.waiting', { ...ctx.step, childRunId });
  },
  async resume(ctx) {
    const state = ChildState.safeParse(ctx.state);
    if (!state.success) return { kind: 'pending' };
    const { childRunId } = state.data;
    const child = await ctx.childRun(childRunId);
    if (!child || child.live) return { kind: 'pending' };
    if (child.status === 'succeeded') return { kind: 'succeeded', input: null, output: child.output ?? null };
    const reason = ChildReason.safeParse(child.error);
    return {
      kind: 'failed',
      input: null,
      error: {
        code: 'E_SUBWORKFLOW',
        message: `The child run ${childRunId} ${child.status}${reason.success ? `: ${reason.data.message}` : ''}.`,
        hint: 'Open the child run to see which of its steps failed and why.',
        retryable: false,
        details: { childRunId },
      },
    };
  },
  // Not executed in a dry run: its output is made up.
  simulate: () => ({ status: 'simulated' }),
});
