import { createHash } from 'node:crypto';

/**
 * Stable per (run, node, foreach path): the same on every retry and after a crash, different for every
 * item of a foreach. 25 characters, so it also fits Discord's nonce.
 */
export function idempotencyKeyFor(runId: string, nodeId: string, path: string): string {
  const digest = createHash('sha256').update(`${runId}\u0000${nodeId}\u0000${path}`).digest('base64url');
  return `vm_${digest.slice(0, 22)}`;
}
