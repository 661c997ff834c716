const PROTO = Buffer.from('__proto__');
const CONSTRUCTOR = Buffer.from('constructor');
const ESCAPE = Buffer.from('\\u');
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Postgres jsonb cannot hold NUL or lone surrogates: both become U+FFFD (the body is otherwise kept as sent). */
function storable(text: string): string {
  return text.replaceAll('\u0000', '\uFFFD').replace(LONE_SURROGATE, '\uFFFD');
}

function revive(key: string, value: unknown): unknown {
  if (key === '__proto__') return undefined;
  if (key === 'constructor' && value !== null && typeof value === 'object' && 'prototype' in value)
    return undefined;
  if (typeof value === 'string') return storable(value);
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.some((name) => storable(name) !== name)) {
      return Object.fromEntries(Object.entries(value).map(([name, inner]) => [storable(name), inner]));
    }
  }
  return value;
}

/** Deepest nesting a JSON body may have (Postgres jsonb and the engine's walkers stop far below 5,000). */
export const MAX_HOOK_JSON_DEPTH = 100;

/** A body that parses but cannot be taken; the message says why (the route answers 400 with it). */
export class HookBodyError extends Error {}

function nestingDepth(raw: Buffer): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < raw.length; index += 1) {
    const byte = raw[index];
    if (inString) {
      if (byte === 0x5c) index += 1;
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x5b || byte === 0x7b) {
      depth += 1;
      if (depth > deepest) deepest = depth;
    } else if (byte === 0x5d || byte === 0x7d) depth -= 1;
  }
  return deepest;
}

/**
 * JSON.parse for webhook bodies: drops `__proto__` keys and `constructor: { prototype }` objects (no
 * prototype-pollution payload reaches expressions or merges; vendor deliveries are stripped, not refused) and
 * replaces NUL / lone surrogates (`\u0000`, `\ud800`) that Postgres cannot store. The reviver only runs when the
 * raw bytes mention either name or hold a `\u` escape, so ordinary bodies parse at full speed. Nesting deeper than
 * MAX_HOOK_JSON_DEPTH throws HookBodyError.
 */
export function parseHookJson(raw: Buffer): unknown {
  if (raw.length > 2 * MAX_HOOK_JSON_DEPTH && nestingDepth(raw) > MAX_HOOK_JSON_DEPTH) {
    throw new HookBodyError(`The JSON body is nested more than ${MAX_HOOK_JSON_DEPTH} levels deep.`);
  }
  const text = raw.toString('utf8');
  if (raw.includes(PROTO) || raw.includes(CONSTRUCTOR) || raw.includes(ESCAPE))
    return JSON.parse(text, revive);
  return JSON.parse(text);
}

/** A non-JSON body as text (invalid UTF-8 becomes U+FFFD; NUL bytes too, as Postgres cannot store them). */
export function hookText(raw: Buffer): string {
  const text = raw.toString('utf8');
  return raw.includes(0) ? storable(text) : text;
}

/** The 400 answer for a body that is not JSON (or breaks the limits parseHookJson enforces). */
export type BadJsonAnswer = { code: 'E_BAD_JSON'; message: string; hint: string };

/** A delivery's JSON body, or the answer that says why it is not one. */
export function readHookJson(raw: Buffer): { value: unknown } | { bad: BadJsonAnswer } {
  try {
    return { value: parseHookJson(raw) };
  } catch (error) {
    return {
      bad: {
        code: 'E_BAD_JSON',
        message: error instanceof HookBodyError ? error.message : 'The body is not valid JSON.',
        hint: 'Send a JSON body with content-type application/json.',
      },
    };
  }
}
