import { z } from 'zod';
import { type AuthRequest, type BoundAuth, bindAuth, changedHeaderNames } from '../sdk/auth/auth-style.ts';
import { bearerStyle } from '../sdk/auth/header-styles.ts';
import { OAuth2Credential, oauth2Style } from '../sdk/auth/oauth2.ts';
import { ConnectorError, connectorErrorFromStatus } from '../sdk/connector-error.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';
import type { SafeRequestInit } from '../sdk/safe-fetch.ts';

export const DROPBOX_API_URL = 'https://api.dropboxapi.com';
export const DROPBOX_CONTENT_URL = 'https://content.dropboxapi.com';

/** How long one file transfer may take. */
const TRANSFER_TIMEOUT_MS = 15 * 60_000;

export const DropboxToken = z.strictObject({
  token: z
    .string()
    .regex(/^[A-Za-z0-9._-]{20,2048}$/, 'a Dropbox access token (sl.… from the app console)')
    .describe('An access token generated in the app console (Settings → Generated access token).'),
});
export type DropboxToken = z.output<typeof DropboxToken>;

/** How the credential goes on: a generated token as a bearer, or an oauth2 credential (renewed on 401). */
export function dropboxAuth(type: string, credential: unknown): BoundAuth {
  if (type === 'oauth2') return bindAuth(oauth2Style, OAuth2Credential.parse(credential));
  return bindAuth(bearerStyle, { token: DropboxToken.parse(credential).token });
}

/**
 * Dropbox-API-Arg carries JSON in an HTTP header, which must be ASCII: Dropbox asks for every character above
 * 0x7E to be escaped as \uXXXX (a surrogate pair for characters beyond the BMP, as JSON.stringify splits them).
 */
export function dropboxApiArg(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

const DropboxErrorBody = z.object({
  error_summary: z.string().optional(),
  error: z.object({ '.tag': z.string().optional(), retry_after: z.number().optional() }).loose().optional(),
});

const HINTS: Record<string, string> = {
  expired_access_token:
    'The Dropbox access token expired: connect again with `vmesh credentials connect NAME --type oauth2 --provider dropbox` (tokens then renew by themselves), or store a new generated token with `vmesh credentials set NAME --type dropbox`.',
  invalid_access_token:
    'Dropbox does not accept the token (revoked or mistyped): store a new one with `vmesh credentials set NAME --type dropbox`, or connect again.',
  missing_scope:
    'The Dropbox app lacks a permission (scope) for this call: enable files.content.read/write or files.metadata.read on the app’s Permissions tab, then connect again.',
  not_found:
    'Nothing exists at this path: check the path (it starts with "/" and is relative to the app folder for app-folder apps).',
  conflict: 'Something exists at this path already: use mode "overwrite", autorename, or another path.',
  insufficient_space: 'The Dropbox account is out of space.',
  too_many_requests: 'Dropbox rate-limits this app or user; the step is retried after the wait.',
  too_many_write_operations: 'Too many writes at once in this namespace; the step is retried after the wait.',
  malformed_path:
    'The path is malformed: use "/folder/file.ext" (a leading slash, no trailing slash, no "." segments).',
};

/** Dropbox's error answer (`{ error_summary, error: { '.tag' } }`, or plain text for a 400) as a ConnectorError. */
export function dropboxFailure(
  status: number,
  headers: Headers,
  text: string,
  label: string,
): ConnectorError {
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  const parsed = DropboxErrorBody.safeParse(body);
  const summary = parsed.success ? parsed.data.error_summary : undefined;
  // "path/not_found/.." → the most specific known word of the summary.
  const words = (summary ?? '').split('/').filter((word) => word && word !== '.' && word !== '..');
  const vendorCode = words.find((word) => HINTS[word]) ?? parsed.data?.error?.['.tag'] ?? words[0];
  const retryAfter = parsed.success ? parsed.data.error?.retry_after : undefined;
  const error = connectorErrorFromStatus({
    connector: 'dropbox',
    status,
    message: `${label} failed: ${summary ?? (text.slice(0, 300) || 'no details')}`,
    headers,
    ...(vendorCode && HINTS[vendorCode] ? { hint: HINTS[vendorCode] } : {}),
    details: vendorCode ? { vendorCode } : {},
    ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter * 1000 }),
  });
  // A 409 is an endpoint-specific error: a missing path is "not found", the rest a request to change.
  if (status === 409 && vendorCode === 'not_found') {
    return new ConnectorError({
      code: 'E_NOT_FOUND',
      message: error.message,
      retryable: false,
      status,
      hint: HINTS.not_found,
      details: error.details,
    });
  }
  return error;
}

export type DropboxClient = {
  /** An RPC endpoint of api.dropboxapi.com: JSON in, JSON out. */
  rpc(path: string, args: unknown, signal: AbortSignal): Promise<unknown>;
  /** A content endpoint of content.dropboxapi.com: arguments in Dropbox-API-Arg, bytes in the body or answer. */
  content(
    path: string,
    args: unknown,
    body: { stream: ReadableStream<Uint8Array>; length: number } | undefined,
    signal: AbortSignal,
  ): Promise<Response>;
};

export function createDropboxClient(options: {
  credential: BoundAuth | undefined;
  env: ConnectorEnvironment;
}): DropboxClient {
  const { credential: auth, env } = options;
  const apiBase = env.baseUrls.dropbox ?? DROPBOX_API_URL;
  const contentBase = env.baseUrls['dropbox-content'] ?? DROPBOX_CONTENT_URL;

  async function send(
    unsigned: AuthRequest,
    stream: { stream: ReadableStream<Uint8Array>; length: number } | undefined,
    signal: AbortSignal,
    transfer: boolean,
  ): Promise<Response> {
    if (!auth) {
      throw new ConnectorError({
        code: 'E_CREDENTIAL',
        message: 'dropbox needs a credential: a generated access token or a connected oauth2 credential.',
        retryable: false,
        hint: 'Connect one with `vmesh credentials connect NAME --type oauth2 --provider dropbox`, or store a token with `vmesh credentials set NAME --type dropbox`.',
      });
    }
    const ctx = { fetch: env.fetch, signal, now: new Date(), tokens: env.tokens };
    const fetchSigned = (signed: AuthRequest) => {
      const init: SafeRequestInit & { duplex?: 'half' } = {
        method: signed.method,
        headers: signed.headers,
        signal,
        credentialHeaders: changedHeaderNames(unsigned.headers, signed.headers),
        ...(stream
          ? { body: stream.stream, duplex: 'half' as const }
          : signed.body
            ? { body: signed.body }
            : {}),
        // A file transfer: the file store caps what is written, and it may take longer than an RPC call.
        ...(transfer ? { maxResponseBytes: Number.MAX_SAFE_INTEGER, timeoutMs: TRANSFER_TIMEOUT_MS } : {}),
      };
      return env.fetch(signed.url, init);
    };
    const sent = await auth.apply(unsigned, ctx);
    let response = await fetchSigned(sent);
    // An expired oauth2 token is renewed once; a streamed upload cannot be replayed, so its step retries instead.
    if (response.status === 401 && auth.renew && !stream) {
      const again = await auth.renew(unsigned, sent, ctx);
      if (again) {
        await response.body?.cancel();
        response = await fetchSigned(again);
      }
    }
    if (response.status >= 200 && response.status <= 299) return response;
    const text = await response.text().catch(() => '');
    throw dropboxFailure(response.status, response.headers, text, `POST ${unsigned.url.pathname}`);
  }

  return {
    async rpc(path, args, signal) {
      const headers = new Headers({ 'content-type': 'application/json', accept: 'application/json' });
      const url = new URL(`${apiBase.replace(/\/+$/, '')}${path}`);
      const response = await send(
        { method: 'POST', url, headers, body: Buffer.from(JSON.stringify(args)) },
        undefined,
        signal,
        false,
      );
      const answer: unknown = await response.json();
      return answer;
    },
    content(path, args, body, signal) {
      const headers = new Headers({ 'dropbox-api-arg': dropboxApiArg(args) });
      if (body) {
        headers.set('content-type', 'application/octet-stream');
        headers.set('content-length', String(body.length));
      }
      const url = new URL(`${contentBase.replace(/\/+$/, '')}${path}`);
      return send({ method: 'POST', url, headers, body: undefined }, body, signal, true);
    },
  };
}

/** A file or folder as Dropbox's metadata says it. */
export const DropboxMetadata = z
  .object({
    '.tag': z.enum(['file', 'folder', 'deleted']).optional(),
    name: z.string(),
    id: z.string().optional(),
    path_lower: z.string().optional(),
    path_display: z.string().optional(),
    client_modified: z.string().optional(),
    server_modified: z.string().optional(),
    rev: z.string().optional(),
    size: z.number().int().optional(),
    content_hash: z.string().optional(),
  })
  .loose();

export const Entry = z.object({
  kind: z.enum(['file', 'folder', 'deleted']).describe('What it is.'),
  name: z.string().describe('The name, e.g. "report.pdf".'),
  path: z.string().describe('The path as displayed, e.g. "/Reports/report.pdf".'),
  id: z.string().nullable().describe('Dropbox’s id ("id:…"), stable across moves; null for deleted entries.'),
  size: z.number().int().nullable().describe('Bytes (files only).'),
  modified: z.string().nullable().describe('When the server last saw it change, ISO 8601 (files only).'),
  rev: z.string().nullable().describe('The file revision (files only).'),
  contentHash: z.string().nullable().describe('Dropbox’s content hash (files only).'),
});
export type Entry = z.infer<typeof Entry>;

export function toEntry(raw: unknown, kind: 'file' | 'folder' | 'deleted' = 'file'): Entry {
  const meta = DropboxMetadata.parse(raw);
  return {
    kind: meta['.tag'] ?? kind,
    name: meta.name,
    path: meta.path_display ?? meta.path_lower ?? meta.name,
    id: meta.id ?? null,
    size: meta.size ?? null,
    modified: meta.server_modified ?? null,
    rev: meta.rev ?? null,
    contentHash: meta.content_hash ?? null,
  };
}

/** A Dropbox path: "" (the root, for listings) or "/…" without a trailing slash or dot segments; or an id/rev. */
export const DropboxPath = z
  .string()
  .max(4096)
  .regex(
    /^(\/.*[^/]|id:[A-Za-z0-9_-]+|rev:[0-9a-f]+|ns:\d+(\/.*)?)$/,
    'a path such as "/Reports/2026/q1.pdf"',
  )
  .refine(
    (path) => !path.split('/').some((part) => part === '.' || part === '..'),
    'no "." or ".." segments',
  );
