import { z } from 'zod';
import { AppError, err, ok, type Result } from '../lib/index.ts';
import { AlertCondition } from '../runtime/index.ts';
import { defineTool } from './define-tool.ts';
import type { AlertsPort, ToolContext } from './tool-context.ts';

// The agent sets alerts that tell the conversation it is talking in, and nothing else: a chat message is not a
// person's word (it may carry instructions from anyone), so sending workflow facts to a webhook, an email address or
// another channel is left to people, through the API (`POST /api/alerts`), the CLI (`vmesh alerts add`) or the web.

const AlertRuleSummary = z.object({
  id: z.string(),
  name: z.string(),
  workflowId: z.string().nullable(),
  condition: z.record(z.string(), z.unknown()),
  destination: z.string(),
  cooldownMinutes: z.number(),
  enabled: z.boolean(),
  openAlerts: z.number(),
});

function alertsOf(ctx: ToolContext): Result<AlertsPort, AppError> {
  if (ctx.alerts) return ok(ctx.alerts);
  return err(
    new AppError({
      code: 'E_UNAVAILABLE',
      message: 'Alerts cannot be set from here.',
      hint: 'Use `vmesh alerts add` or POST /api/alerts.',
    }),
  );
}

export const setAlertTool = defineTool({
  name: 'set_alert',
  effect: 'operate',
  description:
    'Set an alert on a workflow that tells THIS conversation when the condition holds, once, again after the cooldown while it lasts, and once when it recovers: failure_rate (share of failed runs in a window), no_success (no successful run for N hours: "tell me if it stops running"), poll_stalled, credential_reconnect, output_shape (a step\'s output lost a field it used to have). Only when the person asks. It cannot send anywhere else: for Slack/Discord channels, webhooks or email, tell the person to use `vmesh alerts add` or the API.',
  input: z.object({
    workflowId: z.string().min(1).max(100).describe('The workflow id from list_workflows.'),
    name: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .describe('What the alert is called, e.g. "Invoice sync failing".'),
    condition: AlertCondition.describe(
      'e.g. { "kind": "failure_rate", "windowMinutes": 60, "threshold": 0.5, "minRuns": 3 } or { "kind": "no_success", "hours": 24 }',
    ),
    cooldownMinutes: z
      .number()
      .int()
      .min(1)
      .max(43_200)
      .default(60)
      .describe('Send an open alert again at most this often.'),
  }),
  output: AlertRuleSummary,
  async run(input, ctx) {
    const alerts = alertsOf(ctx);
    if (!alerts.ok) return alerts;
    const conversationId = ctx.conversation.id;
    if (conversationId === null)
      return err(
        new AppError({
          code: 'E_UNAVAILABLE',
          message: 'This chat has no stored conversation to send alerts to.',
          hint: 'Use `vmesh alerts add --to conversation` for the workflow’s own conversation.',
        }),
      );
    const workflow = await ctx.workflows.get(input.workflowId);
    if (!workflow)
      return err(
        new AppError({
          code: 'E_NOT_FOUND',
          message: `No workflow with id "${input.workflowId}".`,
          hint: 'Call list_workflows and use one of its ids.',
        }),
      );
    return ok(await alerts.value.createForConversation({ ...input, conversationId }));
  },
});

export const listAlertsTool = defineTool({
  name: 'list_alerts',
  effect: 'read',
  description:
    'List the alert rules the person may see (all, or one workflow\'s), with how many alerts are open now. Use it for "which alerts do I have?" and before remove_alert.',
  input: z.object({
    workflowId: z.string().min(1).max(100).optional().describe('Only this workflow’s rules.'),
  }),
  output: z.object({ rules: z.array(AlertRuleSummary) }),
  async run(input, ctx) {
    const alerts = alertsOf(ctx);
    if (!alerts.ok) return alerts;
    return ok({
      rules: await alerts.value.list({ workflowId: input.workflowId, conversationId: ctx.conversation.id }),
    });
  },
});

export const removeAlertTool = defineTool({
  name: 'remove_alert',
  effect: 'operate',
  description: 'Remove an alert rule by its id from list_alerts, when the person asks to stop an alert.',
  input: z.object({ alertId: z.string().min(1).max(100).describe('The rule id, "alr_…".') }),
  output: z.object({ alertId: z.string(), removed: z.boolean() }),
  async run(input, ctx) {
    const alerts = alertsOf(ctx);
    if (!alerts.ok) return alerts;
    const removed = await alerts.value.remove(input.alertId);
    if (!removed)
      return err(
        new AppError({
          code: 'E_NOT_FOUND',
          message: `No alert rule "${input.alertId}" that you may change.`,
          hint: 'Call list_alerts and use one of its ids.',
        }),
      );
    return ok({ alertId: input.alertId, removed });
  },
});
