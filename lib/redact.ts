/**
 * Secret redaction. Known secret values (credentials decrypted at run time) are registered here and replaced
 * wherever they appear — raw, base64, URL-encoded, hex, JSON-escaped and Latin-1/UTF-8 misread — plus common
 * token shapes.
 */
const knownSecrets = new Set<string>();
/** knownSecrets, longest first: a short secret inside a longer one must not cut it before it is matched. */
let longestFirst: string[] = [];
const MIN_SECRET_LENGTH = 6;
export const REDACTED = '[REDACTED]';

const TOKEN_SHAPES: RegExp[] = [
  /xox[abposr]-[A-Za-z0-9-]{10,}/g,
  /xapp-[A-Za-z0-9-]{10,}/g,
  /gh[pousr]_[A-Za-z0-9]{30,}/g,
  /github_pat_[A-Za-z0-9_]{30,}/g,
  /sk-ant-[A-Za-z0-9_-]{20,}/g,
  /sk-(?:proj-)?[A-Za-z0-9_-]{20,}/g,
  /AKIA[0-9A-Z]{16}/g,
];

function encodings(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  return [
    secret,
    Buffer.from(secret).toString('base64'),
    Buffer.from(secret).toString('base64url'),
    encodeURIComponent(secret),
    Buffer.from(secret).toString('hex'),
    json,
    // Header values travel as bytes: a non-ASCII secret sent as UTF-8 and read back as Latin-1 (or the reverse)
    // comes back spelled differently.
    Buffer.from(secret, 'utf8').toString('latin1'),
    Buffer.from(secret, 'latin1').toString('utf8'),
  ];
}

export function registerSecret(secret: string): void {
  if (secret.length < MIN_SECRET_LENGTH) return;
  const before = knownSecrets.size;
  for (const form of encodings(secret)) knownSecrets.add(form);
  if (knownSecrets.size !== before) longestFirst = [...knownSecrets].sort((a, b) => b.length - a.length);
}

/** Registers every string of a credential-like value (nested objects and arrays, bounded depth). */
export function registerSecretsIn(value: unknown, depth = 0): void {
  if (depth > 8) return;
  if (typeof value === 'string') registerSecret(value);
  else if (Array.isArray(value)) for (const item of value) registerSecretsIn(item, depth + 1);
  else if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) registerSecretsIn(inner, depth + 1);
  }
}

/** True when `text` holds a registered secret in any of its encodings (or a known token shape). */
export function containsSecret(text: string): boolean {
  for (const secret of knownSecrets) if (text.includes(secret)) return true;
  return TOKEN_SHAPES.some((shape) => {
    shape.lastIndex = 0;
    const found = shape.test(text);
    shape.lastIndex = 0;
    return found;
  });
}

export function redactString(text: string): string {
  let out = text;
  for (const secret of longestFirst) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  for (const shape of TOKEN_SHAPES) out = out.replace(shape, REDACTED);
  return out;
}

/** Deep-copies a JSON-like value with every string redacted. Non-plain objects are kept as they are. */
export function redactSecrets<T>(value: T): T {
  return redactValue(value, 0) as T;
}

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactString(value);
  if (depth > 64 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) out[key] = redactValue(inner, depth + 1);
  return out;
}
