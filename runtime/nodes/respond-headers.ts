/**
 * Which response headers a `core.respond` node may set on a webhook's HTTP response. A hook URL is on the same origin
 * as the web chat and the API, and the run's data comes from whoever calls the hook: a header that sets cookies,
 * opens CORS, changes framing or turns the body into an active document would hand that caller this origin.
 */

export const RESPOND_HEADER_CODE = 'E_RESPOND_HEADER';

/** Headers a response may carry, besides `x-*` custom headers not in DENIED_CUSTOM. */
const ALLOWED = new Set([
  'content-type',
  'cache-control',
  'content-language',
  'content-disposition',
  'location',
  'etag',
  'last-modified',
  'expires',
  'vary',
  'retry-after',
]);
/** `x-*` headers that browsers, proxies or this server give a meaning to. */
const DENIED_CUSTOM = new Set([
  'x-content-type-options',
  'x-frame-options',
  'x-xss-protection',
  'x-dns-prefetch-control',
  'x-permitted-cross-domain-policies',
  'x-download-options',
  'x-sendfile',
  'x-lighttpd-send-file',
  'x-real-ip',
]);
const DENIED_CUSTOM_PREFIXES = ['x-forwarded-', 'x-accel-', 'x-vmesh-'];
/** Media types a browser runs or renders as a document of this origin: served as plain text is no answer, refuse. */
const ACTIVE_TYPES = [
  /^text\/html$/,
  /^application\/xhtml\+xml$/,
  /^image\/svg\+xml$/,
  /^(?:text|application)\/xml$/,
  /^application\/[\w.+-]*\+xml$/,
  /^(?:text|application)\/(?:x-)?(?:java|ecma)script$/,
  /^text\/xsl$/,
  /^application\/(?:pdf|x-shockwave-flash|wasm)$/,
  /^multipart\/x-mixed-replace$/,
  /^text\/(?:vtt|cache-manifest)$/,
];
const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;
const MAX_VALUE = 4096;

export type HeaderProblem = { name: string; message: string; hint: string };

const LISTED =
  'content-type (not an HTML, XML, SVG or script type), cache-control, content-language, content-disposition, ' +
  'location (on a 3xx, an absolute http(s) URL), etag, last-modified, expires, vary, retry-after, and x-* headers';

export type HeaderCheck = {
  /** The response's status, when known (location is only for redirects). */
  status?: number | undefined;
  /** The document's value, before evaluation: one holding `{{ }}` is checked for what it says after evaluation. */
  template?: boolean;
};

/** What is wrong with one header, or undefined when a webhook response may carry it. */
export function respondHeaderProblem(
  name: string,
  value: string,
  { status, template = false }: HeaderCheck = {},
): HeaderProblem | undefined {
  const lower = name.toLowerCase();
  if (!TOKEN.test(name)) {
    return {
      name,
      message: `"${name.slice(0, 60)}" is not a header name`,
      hint: 'Use letters, digits and -.',
    };
  }
  if (!isAllowedName(lower)) {
    return {
      name,
      message: `a webhook response may not set "${lower}"`,
      hint: `Remove it. A core.respond node may set ${LISTED}.`,
    };
  }
  if (CONTROL.test(value)) {
    return {
      name,
      message: `the value of "${lower}" holds a line break or another control character`,
      hint: 'Header values are one line of text: remove CR, LF and other control characters.',
    };
  }
  if (value.length > MAX_VALUE) {
    return {
      name,
      message: `the value of "${lower}" is longer than ${MAX_VALUE} characters`,
      hint: 'Shorten it.',
    };
  }
  if (template && value.includes('{{')) return undefined;
  if (lower === 'content-type' && isActiveType(value)) {
    return {
      name,
      message: `content-type "${value.slice(0, 80)}" would make the response a page that runs on this server's origin`,
      hint: 'Answer with JSON, text/plain, text/csv or another passive type.',
    };
  }
  if (lower === 'location' && !isRedirectTarget(value, status)) {
    return {
      name,
      message: 'location is only for a 3xx status, with an absolute http:// or https:// URL',
      hint: 'Set with.status to 301, 302, 303, 307 or 308 and location to a full http(s) URL.',
    };
  }
  if (
    lower === 'content-disposition' &&
    !/^(?:inline|attachment)(?:\s*;\s*filename\*?=[^;]+)*$/i.test(value)
  ) {
    return {
      name,
      message: `content-disposition "${value.slice(0, 80)}" is not inline or attachment with a filename`,
      hint: 'Write it as attachment; filename="report.csv".',
    };
  }
  return undefined;
}

/** Every problem of a `with.headers` map (empty when the response may carry them all). */
export function respondHeadersProblems(
  headers: Record<string, string> | undefined,
  check: HeaderCheck = {},
): HeaderProblem[] {
  return Object.entries(headers ?? {}).flatMap(([name, value]) => {
    const problem = respondHeaderProblem(name, value, check);
    return problem ? [problem] : [];
  });
}

function isAllowedName(lower: string): boolean {
  if (ALLOWED.has(lower)) return true;
  if (!lower.startsWith('x-')) return false;
  return !DENIED_CUSTOM.has(lower) && !DENIED_CUSTOM_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

function isActiveType(value: string): boolean {
  const type = (value.split(';')[0] ?? '').trim().toLowerCase();
  return (
    type === '' || !/^[\w.+-]+\/[\w.+-]+$/.test(type) || ACTIVE_TYPES.some((pattern) => pattern.test(type))
  );
}

function isRedirectTarget(value: string, status: number | undefined): boolean {
  if (status !== undefined && (status < 300 || status > 399)) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.href.length > 0;
  } catch {
    return false;
  }
}
