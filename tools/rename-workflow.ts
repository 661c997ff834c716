import { z } from 'zod';
import { ok } from '../lib/index.ts';
import { defineTool } from './define-tool.ts';
import { workflowById } from './workflow-by-id.ts';

export const renameWorkflowTool = defineTool({
  name: 'rename_workflow',
  effect: 'operate',
  description:
    'Rename a workflow at once ("call the invoice workflow Invoices to Xero"): only its name changes, stored as a new version; what runs, its trigger and its hook URL stay the same. Only when the person asks.',
  input: z.object({
    workflowId: z.string().min(1).max(100).describe('The workflow id from list_workflows, e.g. "wf_3kT9…".'),
    name: z.string().trim().min(1).max(200).describe('The new name, as the person said it.'),
  }),
  output: z.object({
    workflowId: z.string(),
    name: z.string(),
    previousName: z.string(),
    version: z.number(),
    changed: z.boolean(),
  }),
  async run(input, ctx) {
    const workflow = await workflowById(input.workflowId, ctx);
    if (!workflow.ok) return workflow;
    const renamed = await ctx.workflows.rename(workflow.value.id, input.name, {
      actor: ctx.conversation.actor,
    });
    return ok({ workflowId: workflow.value.id, ...renamed });
  },
});
