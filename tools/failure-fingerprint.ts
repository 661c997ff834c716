import { createHash } from 'node:crypto';
import type { RunView, StepView } from './tool-context.ts';

export function failedStepOf(run: RunView): StepView | undefined {
  return run.steps.find((step) => step.status === 'failed');
}

function errorText(error: unknown): { code: string; message: string } {
  if (error && typeof error === 'object') {
    const record = error as Record<string, unknown>;
    return { code: String(record.code ?? ''), message: String(record.message ?? JSON.stringify(error)) };
  }
  return { code: '', message: String(error ?? '') };
}

/**
 * Identical failures share a fingerprint: same workflow version, same node, same error code and the same message
 * once numbers, ids and quoted values are taken out. Used to group failures instead of proposing again and again.
 */
export function failureFingerprint(run: RunView): string {
  const step = failedStepOf(run);
  const { code, message } = errorText(step?.error ?? run.error);
  const normalized = message
    .toLowerCase()
    .replace(/"[^"]*"|'[^']*'/g, '"…"')
    .replace(/[0-9a-f]{8,}/g, '#')
    .replace(/\d+/g, '#')
    .slice(0, 300);
  const basis = [run.workflowId, run.version, step?.nodeId ?? '', code, normalized].join('|');
  return createHash('sha256').update(basis).digest('hex').slice(0, 32);
}
