import { AppError, err, ok, type Result } from '../lib/index.ts';
import type { ToolContext, WorkflowDetail } from './tool-context.ts';

/** The workflow a tool was given by id, among those the person may see; or the error that sends the model to list_workflows. */
export async function workflowById(id: string, ctx: ToolContext): Promise<Result<WorkflowDetail, AppError>> {
  const workflow = await ctx.workflows.get(id);
  if (workflow) return ok(workflow);
  return err(
    new AppError({
      code: 'E_NOT_FOUND',
      message: `No workflow with id "${id}".`,
      hint: 'Call list_workflows and use one of its ids.',
    }),
  );
}
