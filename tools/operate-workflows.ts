import { z } from 'zod';
import { AppError, err, ok, type Result } from '../lib/index.ts';
import { defineTool } from './define-tool.ts';
import type { ToolContext } from './tool-context.ts';
import { workflowById } from './workflow-by-id.ts';

const WorkflowId = z
  .string()
  .min(1)
  .max(100)
  .describe('The workflow id from list_workflows, e.g. "wf_3kT9…".');
const RunId = z
  .string()
  .min(1)
  .max(100)
  .describe('The run id from get_workflow or a run update, e.g. "run_…".');

function runsOf(ctx: ToolContext): Result<NonNullable<ToolContext['runs']>, AppError> {
  if (ctx.runs) return ok(ctx.runs);
  return err(
    new AppError({
      code: 'E_UNAVAILABLE',
      message: 'Runs cannot be started or changed from here: no engine is connected.',
      hint: 'Use `vmesh run --workflow ID` or `vmesh runs retry|cancel ID` on the server.',
    }),
  );
}

const by = (ctx: ToolContext) => ({ actor: ctx.conversation.actor });

export const runWorkflowTool = defineTool({
  name: 'run_workflow',
  effect: 'operate',
  description:
    'Run a stored workflow now, on its current version, with `input` as its trigger data — only when the person asks for it ("run the invoice workflow now"). Returns the run id; get_run shows how it went.',
  input: z.object({
    workflowId: WorkflowId,
    input: z
      .record(z.string(), z.unknown())
      .default({})
      .describe(
        'Trigger data for the run (what `trigger` holds in expressions), e.g. { "email": "ana@example.com" }.',
      ),
  }),
  output: z.object({ runId: z.string(), status: z.string(), workflow: z.string() }),
  async run(input, ctx) {
    const workflow = await workflowById(input.workflowId, ctx);
    if (!workflow.ok) return workflow;
    const runs = runsOf(ctx);
    if (!runs.ok) return runs;
    const started = await runs.value.start(workflow.value.id, input.input, by(ctx));
    return ok({ ...started, workflow: workflow.value.name });
  },
});

export const pauseWorkflowTool = defineTool({
  name: 'pause_workflow',
  effect: 'operate',
  description:
    'Pause a workflow at once: its trigger (hook, schedule, poll, subscription) stops starting runs; runs already going continue. Only when the person asks. Resuming needs their approval (resume_workflow).',
  input: z.object({ workflowId: WorkflowId }),
  output: z.object({ workflowId: z.string(), workflow: z.string(), active: z.boolean() }),
  async run(input, ctx) {
    const workflow = await workflowById(input.workflowId, ctx);
    if (!workflow.ok) return workflow;
    if (workflow.value.active) await ctx.workflows.deactivate(workflow.value.id, by(ctx));
    return ok({ workflowId: workflow.value.id, workflow: workflow.value.name, active: false });
  },
});

export const retryRunTool = defineTool({
  name: 'retry_run',
  effect: 'operate',
  description:
    'Retry a failed run at once, on the workflow\'s current version: "from-failed-step" resumes at the step that failed (steps that succeeded keep their outputs), "rerun" starts a new run from its trigger data. Only when the person asks; after a fix, the fix proposal offers this itself.',
  input: z.object({
    runId: RunId,
    mode: z
      .enum(['from-failed-step', 'rerun'])
      .default('from-failed-step')
      .describe('"from-failed-step" (default) or "rerun" from the start.'),
  }),
  output: z.object({ runId: z.string(), status: z.string(), mode: z.string() }),
  async run(input, ctx) {
    const runs = runsOf(ctx);
    if (!runs.ok) return runs;
    const run = await runs.value.get(input.runId);
    if (!run) return err(runNotFound(input.runId));
    if (run.status !== 'failed' && input.mode === 'from-failed-step') {
      return err(
        new AppError({
          code: 'E_CONFLICT',
          message: `Run ${input.runId} is ${run.status}; only a failed run resumes from its failed step.`,
          hint: 'Use mode "rerun" to run it again from its trigger data, or run_workflow.',
        }),
      );
    }
    return ok({ ...(await runs.value.resume(input.runId, input.mode)), mode: input.mode });
  },
});

export const cancelRunTool = defineTool({
  name: 'cancel_run',
  effect: 'operate',
  description:
    'Cancel a queued, running or waiting run (and the runs it started) at once. Steps in flight are stopped; what they already sent out stays sent. Only when the person asks.',
  input: z.object({ runId: RunId }),
  output: z.object({ runId: z.string(), status: z.string() }),
  async run(input, ctx) {
    const runs = runsOf(ctx);
    if (!runs.ok) return runs;
    const run = await runs.value.get(input.runId);
    if (!run) return err(runNotFound(input.runId));
    return ok({ runId: input.runId, ...(await runs.value.cancel(input.runId, by(ctx))) });
  },
});

function runNotFound(runId: string): AppError {
  return new AppError({
    code: 'E_NOT_FOUND',
    message: `No run with id "${runId}".`,
    hint: 'Call get_workflow to see the workflow’s recent runs and their ids.',
  });
}
