import { createHash } from 'node:crypto';

export type FailureBasis = {
  workflowId: string;
  version: number;
  /** The step that failed; null when the run failed outside a step. */
  nodeId: string | null;
  error: unknown;
};

/** The code and message of a stored step or run error, whatever its shape. */
export function failureReason(error: unknown): { code: string; message: string } {
  if (error && typeof error === 'object') {
    const record = error as Record<string, unknown>;
    return { code: String(record.code ?? ''), message: String(record.message ?? JSON.stringify(error)) };
  }
  return { code: '', message: String(error ?? '') };
}

/**
 * The failure group (self-healing's fingerprint, the key of failure_groups): same workflow version, same node,
 * same error code and the same message once numbers, ids and quoted values are taken out.
 */
export function failureGroupOf(failure: FailureBasis): string {
  const { code, message } = failureReason(failure.error);
  const normalized = message
    .toLowerCase()
    .replace(/"[^"]*"|'[^']*'/g, '"…"')
    .replace(/[0-9a-f]{8,}/g, '#')
    .replace(/\d+/g, '#')
    .slice(0, 300);
  const basis = [failure.workflowId, failure.version, failure.nodeId ?? '', code, normalized].join('|');
  return createHash('sha256').update(basis).digest('hex').slice(0, 32);
}
