import { ConnectorError, connectorErrorFromStatus } from '../sdk/connector-error.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';

/** Largest feed read: bigger answers fail with E_FEED_TOO_LARGE before they are parsed. */
export const MAX_FEED_BYTES = 5 * 1024 * 1024;
const ACCEPT = 'application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1';
const MAX_ERROR_SNIPPET = 200;

export type RssClient = {
  /** The environment's guarded fetch: the outbound address policy applies to every feed URL and redirect. */
  fetch: typeof fetch;
  /** Aborts the request when the poll is aborted. */
  signal: AbortSignal | undefined;
};

export function createRssClient(options: { env: ConnectorEnvironment; signal?: AbortSignal }): RssClient {
  return { fetch: options.env.fetch, signal: options.signal };
}

/** The validators of a feed's last full answer, sent back so an unchanged feed answers 304. */
export type FeedValidators = { etag?: string; lastModified?: string };

export type FeedAnswer =
  | { status: 'not-modified' }
  | { status: 'ok'; text: string; contentType: string; validators: FeedValidators };

/** The URL as errors name it: origin and path, never the query (private feeds carry tokens there). */
export function feedWhere(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

/**
 * GETs a feed through the guarded fetch, conditionally when validators are given. A non-2xx answer (other than
 * 304) fails with the shared status mapping; a body over `maxBytes` fails with E_FEED_TOO_LARGE.
 */
export async function fetchFeed(
  client: RssClient,
  url: string,
  options: { validators?: FeedValidators; maxBytes?: number; signal?: AbortSignal } = {},
): Promise<FeedAnswer> {
  const headers = new Headers({ accept: ACCEPT });
  if (options.validators?.etag) headers.set('if-none-match', options.validators.etag);
  if (options.validators?.lastModified) headers.set('if-modified-since', options.validators.lastModified);
  const signals = [options.signal, client.signal].filter((signal) => signal !== undefined);
  const response = await client.fetch(url, {
    headers,
    redirect: 'follow',
    ...(signals.length > 0 ? { signal: AbortSignal.any(signals) } : {}),
  });
  if (response.status === 304) {
    await response.body?.cancel().catch(() => {});
    return { status: 'not-modified' };
  }
  if (response.status < 200 || response.status > 299) {
    const text = await readSnippet(response);
    throw connectorErrorFromStatus({
      connector: 'rss',
      status: response.status,
      message: `GET ${feedWhere(url)} answered ${response.status}: ${printable(text).slice(0, MAX_ERROR_SNIPPET)}`,
      retryAfter: response.headers.get('retry-after'),
      hint:
        response.status === 404 || response.status === 410
          ? 'Check the feed URL: the server has no feed there (open it in a browser, or look for a <link rel="alternate"> on the site).'
          : undefined,
    });
  }
  const text = await readCapped(response, options.maxBytes ?? MAX_FEED_BYTES, url);
  const validators: FeedValidators = {};
  const etag = response.headers.get('etag');
  const lastModified = response.headers.get('last-modified');
  if (etag) validators.etag = etag;
  if (lastModified) validators.lastModified = lastModified;
  return { status: 'ok', text, contentType: response.headers.get('content-type') ?? '', validators };
}

function tooLarge(limit: number, url: string, cause?: unknown): ConnectorError {
  return new ConnectorError({
    code: 'E_FEED_TOO_LARGE',
    message: `rss: the feed at ${feedWhere(url)} is larger than ${limit} bytes; it was not read.`,
    retryable: false,
    hint: 'Use a smaller feed of the site (many offer per-category or "latest" feeds), or ask its owner to list fewer items.',
    details: { limitBytes: limit },
    cause,
  });
}

async function readCapped(response: Response, limit: number, url: string): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge(limit, url);
  }
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body) {
      size += chunk.byteLength;
      if (size > limit) {
        await response.body.cancel().catch(() => {});
        throw tooLarge(limit, url);
      }
      chunks.push(chunk);
    }
  } catch (error) {
    // The guarded fetch enforces its own, larger cap; either way the feed is too large.
    if (error instanceof ConnectorError && error.code === 'E_RESPONSE_TOO_LARGE')
      throw tooLarge(limit, url, error);
    throw error;
  }
  return decode(Buffer.concat(chunks), response.headers.get('content-type'));
}

/** The start of an error answer's body, for the message; the rest is not read. */
async function readSnippet(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  try {
    const first = await reader.read();
    return first.done ? '' : Buffer.from(first.value.subarray(0, 4096)).toString('utf8');
  } catch {
    return '';
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/** Text in the charset the Content-Type or the XML declaration names (UTF-8 when neither does or it is unknown). */
function decode(bytes: Buffer, contentType: string | null): string {
  const bom =
    bytes[0] === 0xff && bytes[1] === 0xfe
      ? 'utf-16le'
      : bytes[0] === 0xfe && bytes[1] === 0xff
        ? 'utf-16be'
        : undefined;
  const declared =
    bom ??
    /charset\s*=\s*"?([\w.:-]+)/i.exec(contentType ?? '')?.[1] ??
    /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([\w.:-]+)["']/i.exec(
      bytes.subarray(0, 200).toString('latin1'),
    )?.[1];
  try {
    return new TextDecoder(declared ?? 'utf-8').decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

/** A received text safe to quote in an error: control characters replaced, whitespace collapsed. */
export function printable(text: string): string {
  return Array.from(text.slice(0, 1000), (char) => {
    const code = char.codePointAt(0) ?? 0;
    return code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0) ? ' ' : char;
  })
    .join('')
    .replace(/\s+/g, ' ')
    .trim();
}
