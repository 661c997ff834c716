import { load } from 'cheerio';
import { convert } from 'html-to-text';
import { z } from 'zod';
import { ConnectorError, connectorErrorFromStatus } from '../../sdk/connector-error.ts';
import { defineAction } from '../../sdk/define.ts';
import { MAX_HTML_DEPTH } from '../../sdk/html-nesting-depth.ts';
import type { SafeRequestInit } from '../../sdk/safe-fetch.ts';
import type { WebsearchClient, WebsearchCredential } from '../client.ts';

/** Most bytes of a page read; the rest is left unread and the text says it was cut. */
export const MAX_PAGE_BYTES = 2 * 1024 * 1024;
const TIMEOUT_MS = 20_000;
const TEXT_TYPES = /^(text\/html|application\/xhtml\+xml|text\/plain)\b/i;
const SKIPPED = [
  'img',
  'script',
  'style',
  'noscript',
  'template',
  'svg',
  'iframe',
  'object',
  'nav',
  'footer',
  'form',
];

export const FetchPageInput = z.strictObject({
  url: z
    .url({ protocol: /^https?$/ })
    .max(4096)
    .describe('The page, e.g. a result url from search: "https://example.com/pricing".'),
  maxChars: z
    .number()
    .int()
    .min(100)
    .max(200_000)
    .default(20_000)
    .describe('Cut the text at this many characters (default 20000).'),
});

export const FetchPageOutput = z.object({
  url: z.string().describe('The address the page came from (after redirects).'),
  status: z.number().int().describe('The HTTP status.'),
  contentType: z.string().describe('Its content type.'),
  title: z.string().nullable().describe('The page title, or null.'),
  description: z.string().nullable().describe('The meta description, or null.'),
  text: z
    .string()
    .describe(
      'The readable text: headings, paragraphs, lists and table cells; scripts, menus and images left out.',
    ),
  truncated: z.boolean().describe('True when the page was longer than maxChars (or 2 MiB) and was cut.'),
});

/** The body's first `limit` bytes, and whether more were left (the rest is never read). */
async function readCapped(response: Response, limit: number): Promise<{ bytes: Uint8Array; cut: boolean }> {
  const reader = response.body?.getReader();
  if (!reader) return { bytes: new Uint8Array(), cut: false };
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { bytes: Buffer.concat(chunks), cut: false };
    chunks.push(value);
    size += value.byteLength;
    if (size >= limit) {
      await reader.cancel();
      return { bytes: Buffer.concat(chunks).subarray(0, limit), cut: true };
    }
  }
}

function decode(bytes: Uint8Array, contentType: string): string {
  const charset = /charset=["']?([\w-]+)/i.exec(contentType)?.[1] ?? 'utf-8';
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

function htmlToText(html: string): string {
  return convert(html, {
    wordwrap: false,
    limits: { maxDepth: MAX_HTML_DEPTH, maxInputLength: MAX_PAGE_BYTES, ellipsis: '…' },
    baseElements: { selectors: ['main', 'article', 'body'], returnDomByDefault: true },
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      ...SKIPPED.map((selector) => ({ selector, format: 'skip' })),
      ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({
        selector,
        options: { uppercase: false },
      })),
      { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
    ],
  })
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * GETs the page through the engine's guarded fetch (public addresses only, every redirect re-checked, size and time
 * capped) with no credential, reads at most 2 MiB of it, and turns HTML into text.
 */
export const fetchPage = defineAction<
  typeof FetchPageInput,
  typeof FetchPageOutput,
  WebsearchCredential,
  WebsearchClient
>({
  key: 'fetchPage',
  title: 'Read a web page as text',
  description:
    'Fetch a public web page (e.g. a search result) and get its title, description and readable text, without menus, scripts or markup. Only public addresses are fetched; no credential is sent.',
  effect: 'read',
  idempotent: true,
  describeTarget: (withValue) =>
    typeof withValue.url === 'string' ? `the web page '${withValue.url.slice(0, 120)}'` : null,
  input: FetchPageInput,
  output: FetchPageOutput,
  async run(input, ctx) {
    const init: SafeRequestInit = {
      method: 'GET',
      headers: {
        accept: 'text/html,application/xhtml+xml,text/plain;q=0.9',
        'user-agent': 'VelocityMesh/1.0 (+fetchPage)',
      },
      signal: ctx.signal,
      maxResponseBytes: MAX_PAGE_BYTES * 4,
      timeoutMs: TIMEOUT_MS,
    };
    const response = await ctx.env.fetch(input.url, init);
    if (!response.ok) {
      await response.body?.cancel();
      throw connectorErrorFromStatus({
        connector: 'websearch',
        status: response.status,
        message: `GET ${new URL(input.url).host} failed`,
        headers: response.headers,
        ...(response.status === 403 || response.status === 401
          ? {
              hint: 'The site refuses automated reads of this page (or it needs a login); try another result.',
            }
          : {}),
      });
    }
    const contentType = response.headers.get('content-type') ?? 'text/html';
    if (!TEXT_TYPES.test(contentType)) {
      await response.body?.cancel();
      throw new ConnectorError({
        code: 'E_UNSUPPORTED_CONTENT',
        message: `websearch.fetchPage: ${new URL(input.url).host} answered ${contentType.split(';')[0]}, not a web page.`,
        retryable: false,
        hint: 'fetchPage reads HTML and plain text; fetch PDFs and other files with http.request and file.extract.',
      });
    }
    const { bytes, cut } = await readCapped(response, MAX_PAGE_BYTES);
    const body = decode(bytes, contentType);
    const html = /^text\/plain/i.test(contentType) ? undefined : body;
    const $ = html === undefined ? undefined : load(html);
    const text = html === undefined ? body.trim() : htmlToText(html);
    const title = $?.('title').first().text().replace(/\s+/g, ' ').trim() || null;
    const description =
      $?.('meta[name="description" i]').attr('content')?.replace(/\s+/g, ' ').trim() || null;
    return {
      url: response.url || input.url,
      status: response.status,
      contentType: contentType.split(';')[0]?.trim() ?? contentType,
      title: title ? title.slice(0, 500) : null,
      description: description ? description.slice(0, 1000) : null,
      text: text.slice(0, input.maxChars),
      truncated: cut || text.length > input.maxChars,
    };
  },
});
