import { z } from 'zod';
import { AppError, err, ok } from '../lib/index.ts';
import type { UsageSummary } from '../runtime/index.ts';
import { defineTool } from './define-tool.ts';
import { markThirdParty, UntrustedValue } from './untrusted.ts';

/** A summary as the model reads it: the runs per day only where something ran. */
function present(summary: UsageSummary) {
  const { runsPerDay, ...rest } = summary;
  return {
    ...rest,
    runsPerDay: runsPerDay.filter((day) => day.succeeded + day.failed + day.cancelled + day.unfinished > 0),
  };
}

function unknownWorkflow(ref: string, names: string[]): AppError {
  return new AppError({
    code: 'E_NOT_FOUND',
    message: `No workflow you may see has the id or name "${ref}".`,
    hint:
      names.length > 0
        ? `Use an id from list_workflows (names: ${names.slice(0, 20).join(', ')}).`
        : 'There are no workflows yet.',
    retryable: false,
  });
}

export const workflowInsightsTool = defineTool({
  name: 'workflow_insights',
  effect: 'read',
  description:
    'How workflows are doing, from their runs: runs per day by status, failure rate, p50/p95 run duration, the steps ' +
    'that fail most (with their last error code), compute time (step time and sandbox CPU) and LLM calls, tokens and ' +
    'cost (costUsd: at list price for models with a price; unpricedCalls: calls of models without one, whose cost is ' +
    'unknown). Give `workflow` (an id, or the exact name) for one workflow; leave it out for all of them and the builder ' +
    'agent’s cost per conversation. Use it for "how is the invoice workflow doing?" or "what did we spend on AI this month?".',
  input: z.object({
    workflow: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('A workflow id, or its exact name; omit for all.'),
    days: z.number().int().min(1).max(365).default(7).describe('Days back from now (default 7).'),
  }),
  output: z.object({
    from: z.string(),
    to: z.string(),
    days: z.number(),
    workflow: z.object({ id: z.string(), name: UntrustedValue }).optional(),
    overall: z.record(z.string(), z.unknown()),
    workflows: z.array(z.record(z.string(), z.unknown())),
    conversations: z.array(z.record(z.string(), z.unknown())),
  }),
  async run(input, ctx) {
    if (!ctx.insights)
      return err(
        new AppError({
          code: 'E_UNAVAILABLE',
          message: 'Usage data is not available here.',
          hint: 'Ask on a front-end connected to the server (web chat, Slack, MCP), or run `vmesh insights`.',
          retryable: false,
        }),
      );
    let workflowId: string | undefined;
    if (input.workflow !== undefined) {
      const visible = await ctx.workflows.list();
      const wanted = input.workflow.trim().toLowerCase();
      const match =
        visible.find((workflow) => workflow.id === input.workflow) ??
        visible.find((workflow) => workflow.name.trim().toLowerCase() === wanted);
      if (!match)
        return err(
          unknownWorkflow(
            input.workflow,
            visible.map((workflow) => workflow.name),
          ),
        );
      workflowId = match.id;
    }
    const report = await ctx.insights.report({ days: input.days, ...(workflowId ? { workflowId } : {}) });
    const named = report.workflows.find((workflow) => workflow.workflowId === workflowId);
    return ok({
      from: report.from,
      to: report.to,
      days: report.days,
      ...(workflowId ? { workflow: { id: workflowId, name: markThirdParty(named?.name ?? '') } } : {}),
      overall: present(report.overall),
      workflows: report.workflows.map(({ name, ...summary }) => ({
        ...present({ ...summary }),
        workflowId: summary.workflowId,
        name: markThirdParty(name),
      })),
      conversations: report.conversations,
    });
  },
});
