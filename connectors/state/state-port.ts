import { z } from 'zod';
import { ConnectorError } from '../sdk/connector-error.ts';
import type { ActionContext } from '../sdk/define.ts';
import type { WorkflowState } from '../sdk/workflow-state.ts';

export const StateKey = z
  .string()
  .min(1)
  .max(200)
  .describe('The key, e.g. "cursor" or "count:{{ trigger.body.team }}". Keys belong to this workflow only.');

/** Largest stored value, as JSON text. */
export const MAX_STATE_VALUE_CHARS = 64_000;

export const StateValue = z
  .unknown()
  .refine((value) => value !== undefined, { message: 'a value is required' })
  .refine((value) => (JSON.stringify(value) ?? '').length <= MAX_STATE_VALUE_CHARS, {
    message: `at most ${MAX_STATE_VALUE_CHARS} characters of JSON`,
  })
  .describe('Any JSON value (at most 64,000 characters as JSON).');

/** The running workflow's store; only the engine provides one (never from a document or a test double). */
export function stateOf(ctx: ActionContext<unknown, unknown>, where: string): WorkflowState {
  const state = ctx.env.workflowState;
  if (!state) {
    throw new ConnectorError({
      code: 'E_STATE_UNAVAILABLE',
      message: `${where} runs only inside a workflow run (there is no workflow state here).`,
      retryable: false,
      hint: 'Run the workflow (vmesh run FILE); a dry run shows a made-up value instead.',
    });
  }
  return state;
}
