import { createHash } from 'node:crypto';
import { parseFeed } from '@rowanmanning/feed-parser';
import { z } from 'zod';
import { ConnectorError } from '../sdk/connector-error.ts';
import type { PolledItem } from '../sdk/define.ts';
import { feedWhere, printable } from './client.ts';
import { toPlainText, truncate } from './plain-text.ts';

// Feed fields are written by whoever controls the feed: every one is capped, made plain text or checked here.
export const FEED_LIMITS = {
  /** Items kept from one answer, the newest first. */
  items: 500,
  titleChars: 500,
  summaryChars: 2000,
  linkChars: 2048,
  /** Longer guids/ids are replaced by their SHA-256. */
  idChars: 500,
};

export const FeedItemData = z.object({
  id: z.string().describe('The entry\'s guid (RSS) or id (Atom), else its link, else "sha256:" of its text.'),
  title: z.string().describe('Title as plain text ("" when the entry has none), at most 500 characters.'),
  link: z.string().nullable().describe("The entry's http(s) link, or null when it has none."),
  published: z
    .string()
    .nullable()
    .describe('When it was published (or else updated), ISO 8601 in UTC; null when the feed gives no date.'),
  summary: z
    .string()
    .describe('Description, summary or content as plain text (HTML removed), at most 2000 characters.'),
});
export type FeedItemData = z.infer<typeof FeedItemData>;

type ParsedItem = ReturnType<typeof parseFeed>['items'][number];

/**
 * The entries of an RSS 2.0/0.9x, RDF 1.0 or Atom feed as poll items, the newest first and at most
 * `FEED_LIMITS.items`. `at` is the entry's date in ms, capped at `now` (a date in the future would otherwise
 * hold the watermark above every entry still to come); an entry without a date gets 0: it sorts below any
 * dated entry, and the runtime's seen ids keep it from firing twice. Throws E_FEED_INVALID when the text is not
 * a feed.
 */
export function toFeedItems(
  text: string,
  source: { url: string; contentType: string },
  now = Date.now(),
): PolledItem<FeedItemData>[] {
  const entries = parse(text, source);
  const seen = new Set<string>();
  const items: PolledItem<FeedItemData>[] = [];
  for (const entry of entries) {
    const item = toItem(entry, now);
    if (seen.has(item.id)) continue;
    seen.add(item.id);
    items.push(item);
  }
  // Stable sort: entries with the same date keep the feed's order.
  return items.sort((a, b) => b.at - a.at).slice(0, FEED_LIMITS.items);
}

function parse(text: string, source: { url: string; contentType: string }): ParsedItem[] {
  const invalid = (reason: string, cause?: unknown) => {
    const received = printable(text).slice(0, 80);
    return new ConnectorError({
      code: 'E_FEED_INVALID',
      message: `rss: ${feedWhere(source.url)} did not answer with an RSS or Atom feed: ${reason} (received ${
        source.contentType ? `"${printable(source.contentType).slice(0, 100)}"` : 'no content type'
      }${received ? `, starting "${received}"` : ', an empty body'}).`,
      // A site may serve an error page for a while; the poll backs off and tries again.
      retryable: true,
      hint: 'Check that `url` is the feed itself (RSS or Atom XML), not the web page: open it in a browser, or look for <link rel="alternate" type="application/rss+xml"> in the page.',
      details: { contentType: source.contentType },
      ...(cause ? { cause } : {}),
    });
  };
  const start = text.replace(/^\uFEFF/, '').trimStart();
  if (!start.startsWith('<')) throw invalid('the body is not XML');
  try {
    return parseFeed(text).items;
  } catch (error) {
    const notFeed = error instanceof Error && 'code' in error && error.code === 'INVALID_FEED';
    const reason = notFeed
      ? 'no <rss>, <rdf:RDF> or <feed> element could be read'
      : `the XML could not be read (${printable(error instanceof Error ? error.message : String(error)).slice(0, 150)})`;
    throw invalid(reason, error);
  }
}

function toItem(entry: ParsedItem, now: number): PolledItem<FeedItemData> {
  const title = truncate(toPlainText(entry.title ?? ''), FEED_LIMITS.titleChars);
  const summary = truncate(toPlainText(entry.description ?? entry.content ?? ''), FEED_LIMITS.summaryChars);
  const date = entry.published ?? entry.updated;
  const published = date ? date.toISOString() : null;
  const link = httpLink(entry.url);
  const id = stableId(entry.id || entry.url || hashOf([title, published ?? '', summary]));
  const at = date ? Math.min(date.getTime(), now) : 0;
  return { id, at, data: { id, title, link, published, summary } };
}

function httpLink(url: string | null): string | null {
  if (!url || url.length > FEED_LIMITS.linkChars) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
  } catch {
    return null;
  }
}

function stableId(id: string): string {
  const trimmed = id.trim();
  return trimmed.length > FEED_LIMITS.idChars ? hashOf([trimmed]) : trimmed;
}

function hashOf(parts: string[]): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(parts)).digest('hex')}`;
}
