/** The longest chat message passed on to the model; longer ones are cut with a note. */
export const MAX_MESSAGE_CHARS = 100_000;

/** Postgres jsonb cannot hold NUL, and lone surrogates are not valid text: remove / replace them. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function sanitizeText(text: string): string {
  return text.replaceAll('\u0000', '').replace(LONE_SURROGATE, '\uFFFD');
}

/** Deep copy of a JSON-like value with every string sanitized (for jsonb columns). */
export function sanitizeJson<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return sanitizeText(value) as T;
  if (value === null || typeof value !== 'object' || depth > 64) return value;
  if (Array.isArray(value)) return value.map((item) => sanitizeJson(item, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) out[sanitizeText(key)] = sanitizeJson(inner, depth + 1);
  return out as T;
}

/** A person's message as the agent takes it: sanitized and capped. */
export function normalizeMessage(text: string): string {
  const clean = sanitizeText(text);
  return clean.length > MAX_MESSAGE_CHARS
    ? `${clean.slice(0, MAX_MESSAGE_CHARS)}\n…[message cut at ${MAX_MESSAGE_CHARS} characters]`
    : clean;
}
