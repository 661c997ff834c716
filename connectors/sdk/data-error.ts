import { ConnectorError } from './connector-error.ts';

/** A step failure caused by the data itself (malformed, too big, too deep): retrying cannot help. */
export function dataError(code: string, message: string, hint: string, cause?: unknown): ConnectorError {
  return new ConnectorError({ code, message, retryable: false, hint, cause });
}

/** Most characters of text a data-shaping action takes in one step (5 MB of ASCII). */
export const MAX_DATA_CHARS = 5_000_000;

/** The deepest nesting of arrays and objects in a JSON value (iterative: deep values do not blow the stack). */
export function jsonDepth(value: unknown, stopAt = Number.POSITIVE_INFINITY): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (current === null || typeof current !== 'object') continue;
    const level = depth + 1;
    if (level > deepest) deepest = level;
    if (deepest > stopAt) return deepest;
    for (const child of Array.isArray(current) ? current : Object.values(current)) stack.push([child, level]);
  }
  return deepest;
}
