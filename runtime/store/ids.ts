import { randomBytes } from 'node:crypto';

/** A short random id with a readable prefix, e.g. `run_3kq9…`. */
export function newId(prefix: 'wf' | 'run' | 'apr'): string {
  return `${prefix}_${randomBytes(12).toString('base64url')}`;
}

export function newSecret(): string {
  return randomBytes(24).toString('base64url');
}
