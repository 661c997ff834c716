const MAX_RETURN_TO = 1024;
const ORIGIN = 'http://vmesh.invalid';

/**
 * Where to send the browser after sign-in: only a path on this server (`/`, `/#/workflows`). Anything that
 * could leave the origin — `//evil`, `/\evil`, `https://…`, control characters — becomes `/`.
 */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_RETURN_TO) return '/';
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return '/';
  let parsed: URL;
  try {
    parsed = new URL(value, ORIGIN);
  } catch {
    return '/';
  }
  if (parsed.origin !== ORIGIN) return '/';
  return `${parsed.pathname}${parsed.search}${parsed.hash}`;
}
