import { failureGroupOf } from '../runtime/index.ts';
import type { RunView, StepView } from './tool-context.ts';

export function failedStepOf(run: RunView): StepView | undefined {
  return run.steps.find((step) => step.status === 'failed');
}

/** The run's failure group (runtime failureGroupOf): identical failures share it, so they are grouped. */
export function failureFingerprint(run: RunView): string {
  const step = failedStepOf(run);
  return failureGroupOf({
    workflowId: run.workflowId,
    version: run.version,
    nodeId: step?.nodeId ?? null,
    error: step?.error ?? run.error,
  });
}
