import { createHash } from 'node:crypto';

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort())
      out[key] = canonical((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/** sha256 of the document with object keys sorted: the same document always hashes the same. */
export function contentHash(document: unknown): string {
  return `sha256:${createHash('sha256')
    .update(JSON.stringify(canonical(document)))
    .digest('hex')}`;
}
