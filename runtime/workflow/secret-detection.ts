import { joinPointer } from './json-pointer.ts';

/** What was found, without the secret: a kind ("Slack token") and a short, safe preview ("xoxb-…"). */
export type SecretFinding = { kind: string; preview: string };
export type LocatedSecret = SecretFinding & { pointer: string };

type TokenPattern = { kind: string; pattern: RegExp; previewLength: number };

/** Known token shapes, found anywhere inside a string. Order matters: specific before general. */
const TOKEN_PATTERNS: TokenPattern[] = [
  { kind: 'PEM private key', pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/, previewLength: 11 },
  { kind: 'Slack token', pattern: /(?<![A-Za-z0-9])xox[abposre]-[A-Za-z0-9-]{10,}/, previewLength: 5 },
  { kind: 'Slack app token', pattern: /(?<![A-Za-z0-9])xapp-\d-[A-Za-z0-9-]{10,}/, previewLength: 5 },
  {
    kind: 'Slack webhook URL',
    pattern: /hooks\.slack\.com\/(?:services|workflows|triggers)\/T[A-Z0-9]+\/[A-Z0-9]+\/[A-Za-z0-9]{12,}/,
    previewLength: 24,
  },
  {
    kind: 'Discord webhook URL',
    pattern: /discord(?:app)?\.com\/api\/webhooks\/\d{5,}\/[A-Za-z0-9_-]{30,}/,
    previewLength: 24,
  },
  { kind: 'GitHub token', pattern: /(?<![A-Za-z0-9])gh[pousr]_[A-Za-z0-9]{36,}/, previewLength: 4 },
  { kind: 'GitHub token', pattern: /(?<![A-Za-z0-9])github_pat_[A-Za-z0-9_]{22,}/, previewLength: 11 },
  { kind: 'Anthropic API key', pattern: /(?<![A-Za-z0-9])sk-ant-[A-Za-z0-9_-]{20,}/, previewLength: 7 },
  {
    kind: 'OpenAI API key',
    pattern: /(?<![A-Za-z0-9])sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/,
    previewLength: 3,
  },
  { kind: 'Stripe secret key', pattern: /(?<![A-Za-z0-9])[rs]k_live_[A-Za-z0-9]{16,}/, previewLength: 8 },
  {
    kind: 'AWS access key id',
    pattern: /(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])/,
    previewLength: 4,
  },
  { kind: 'Google API key', pattern: /(?<![A-Za-z0-9])AIza[0-9A-Za-z_-]{35}/, previewLength: 4 },
  {
    kind: 'JSON Web Token',
    pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{10,8192}\.eyJ[A-Za-z0-9_-]{10,8192}\.[A-Za-z0-9_-]{10,}/,
    previewLength: 3,
  },
  {
    kind: 'password in a URL',
    pattern:
      /(?<![a-zA-Z0-9+.-])[a-zA-Z][a-zA-Z0-9+.-]{0,30}:\/\/[^/\s:@{}]{1,256}:(?!\{\{)[^/\s@{}]{3,256}@/,
    previewLength: 0,
  },
];

/** `password=hunter2`, `api_key = abc123…`: a secret-named key assigned a literal in text (URLs, configs). */
const ASSIGNMENT_PATTERN =
  /(?<![A-Za-z0-9_-])(password|passwd|pwd|passphrase|secret|client_secret|api_?key|access_?token|auth_?token|private_?key|secret_?key|token)\s*=\s*([^\s&"';,{}]{4,})/i;

/** Keys whose literal value is a secret whatever it looks like. */
const PASSWORD_KEYS = new Set([
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'secret',
  'clientsecret',
  'secretkey',
  'privatekey',
  'secretaccesskey',
  'signingsecret',
  'webhooksecret',
]);

/** Keys whose value is a token: flagged when the value looks like one (long, letters and digits). */
const TOKEN_KEYS = new Set([
  'token',
  'apikey',
  'apitoken',
  'accesstoken',
  'authtoken',
  'bearertoken',
  'refreshtoken',
  'sessiontoken',
  'authorization',
  'proxyauthorization',
  'xapikey',
  'xauthtoken',
  'cookie',
  'auth',
  'key',
  'accesskey',
  'credentials',
]);

const PLACEHOLDER =
  /^(?:\*+|x{3,}|\.{3,}|<[^>]*>|\$\{[^}]*\}|\$[A-Z_][A-Z0-9_]*|%[A-Z_]+%|your[-_ ].*|changeme|redacted|\[redacted\]|placeholder|example|none|null|undefined|true|false|-)$/i;

const normalizeKey = (key: string): string => key.toLowerCase().replace(/[^a-z0-9]/g, '');

function shannonEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A run of token characters that looks random: long, mixed letters and digits, high entropy, not a UUID. */
function highEntropyRun(
  text: string,
  minLength: number,
  minEntropy: number,
  needsMixedCase: boolean,
): string | undefined {
  for (const run of text.match(/[A-Za-z0-9+=_\-.~]+/g) ?? []) {
    const trimmed = run.replace(/^[.\-=~]+|[.\-=~]+$/g, '');
    if (trimmed.length < minLength || UUID.test(trimmed)) continue;
    if (!/[0-9]/.test(trimmed) || !/[A-Za-z]/.test(trimmed)) continue;
    if (needsMixedCase && !(/[a-z]/.test(trimmed) && /[A-Z]/.test(trimmed))) continue;
    if (/^[0-9a-f.-]+$/i.test(trimmed) && !needsMixedCase && trimmed.length < 32) continue;
    if (shannonEntropy(trimmed) >= minEntropy) return trimmed;
  }
  return undefined;
}

const preview = (text: string, length: number): string => (length > 0 ? `${text.slice(0, length)}…` : '…');

/** Strips `{{ … }}` expressions: they are computed at run time, not secrets written inline. */
function withoutExpressions(text: string): string {
  let out = '';
  let cursor = 0;
  while (cursor < text.length) {
    const open = text.indexOf('{{', cursor);
    if (open === -1) break;
    const close = text.indexOf('}}', open + 2);
    if (close === -1) break;
    out += `${text.slice(cursor, open)} `;
    cursor = close + 2;
  }
  return out + text.slice(cursor);
}

/**
 * Whether a string looks like a secret. `key` is the name of the field holding it and `inHeaders` whether it
 * is an HTTP header value: both make the shape checks stricter about what counts as a token.
 */
export function detectSecret(
  value: string,
  context: { key?: string; inHeaders?: boolean } = {},
): SecretFinding | undefined {
  const raw = value.length > 100_000 ? value.slice(0, 100_000) : value;
  for (const { kind, pattern, previewLength } of TOKEN_PATTERNS) {
    const match = pattern.exec(raw);
    if (match) return { kind, preview: preview(match[0], previewLength) };
  }
  const text = withoutExpressions(raw);
  const assignment = ASSIGNMENT_PATTERN.exec(text);
  if (assignment?.[2] && !PLACEHOLDER.test(assignment[2])) {
    return { kind: `a literal ${assignment[1]?.toLowerCase()} value`, preview: `${assignment[1]}=…` };
  }
  const trimmed = text.trim();
  if (trimmed === '' || PLACEHOLDER.test(trimmed)) return undefined;
  const key = context.key === undefined ? '' : normalizeKey(context.key);
  if (key !== '' && (PASSWORD_KEYS.has(key) || key.endsWith('password') || key.endsWith('secret'))) {
    if (trimmed.length >= 4 && value.trim() === trimmed)
      return { kind: `a literal ${context.key}`, preview: '…' };
  }
  const credentialPart = trimmed.replace(/^(?:bearer|basic|token|bot|apikey)\s+/i, '');
  const tokenKey = key !== '' && (TOKEN_KEYS.has(key) || key.endsWith('token') || key.endsWith('apikey'));
  if (tokenKey) {
    const run = highEntropyRun(credentialPart, 12, 3.0, false);
    if (run) return { kind: `a literal ${context.key} value`, preview: preview(run, 3) };
  }
  if (context.inHeaders) {
    const run = highEntropyRun(credentialPart, 32, 4.0, true);
    if (run) return { kind: 'a high-entropy header value', preview: preview(run, 3) };
  }
  return undefined;
}

const MAX_SCAN_DEPTH = 64;

/** Every string inside a value that looks like a secret, with its JSON Pointer. */
export function findSecrets(value: unknown, basePointer = ''): LocatedSecret[] {
  const found: LocatedSecret[] = [];
  const visit = (
    current: unknown,
    pointer: string,
    key: string | undefined,
    inHeaders: boolean,
    depth: number,
  ) => {
    if (depth > MAX_SCAN_DEPTH || found.length >= 50) return;
    if (typeof current === 'string') {
      const finding = detectSecret(current, { ...(key === undefined ? {} : { key }), inHeaders });
      if (finding) found.push({ pointer, ...finding });
      return;
    }
    if (Array.isArray(current)) {
      current.forEach((entry, index) => {
        visit(entry, joinPointer(pointer, index), key, inHeaders, depth + 1);
      });
      return;
    }
    if (typeof current === 'object' && current !== null) {
      const headers = key !== undefined && normalizeKey(key).endsWith('headers');
      for (const [childKey, entry] of Object.entries(current)) {
        visit(entry, joinPointer(pointer, childKey), childKey, headers, depth + 1);
      }
    }
  };
  visit(value, basePointer, undefined, false, 0);
  return found;
}
