const PROTO = Buffer.from('__proto__');
const CONSTRUCTOR = Buffer.from('constructor');
const ESCAPE = Buffer.from('\\u');

function stripPoison(key: string, value: unknown): unknown {
  if (key === '__proto__') return undefined;
  if (key === 'constructor' && value !== null && typeof value === 'object' && 'prototype' in value)
    return undefined;
  return value;
}

/**
 * JSON.parse for webhook bodies that drops `__proto__` keys and `constructor: { prototype }` objects, so a body
 * can never carry a prototype-pollution payload into expressions or merges. Vendor webhooks are kept (stripped,
 * not refused). The reviver only runs when the raw bytes mention either name (or hold a \\u escape that could spell one), so ordinary bodies parse at full speed.
 */
export function parseHookJson(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  if (raw.includes(PROTO) || raw.includes(CONSTRUCTOR) || raw.includes(ESCAPE))
    return JSON.parse(text, stripPoison);
  return JSON.parse(text);
}
