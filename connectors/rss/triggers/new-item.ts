import { z } from 'zod';
import { definePollTrigger } from '../../sdk/define.ts';
import { fetchFeed, type RssClient } from '../client.ts';
import { FeedItemData, toFeedItems } from '../feed-items.ts';

export const NewItemFilters = z.strictObject({
  url: z
    .url({ protocol: /^https?$/, error: 'an absolute http(s) URL of an RSS or Atom feed' })
    .max(2048)
    .describe(
      'The feed itself (RSS 2.0 or Atom XML), e.g. "https://example.com/feed.xml"; not the web page.',
    ),
  intervalSeconds: z
    .number()
    .int()
    .min(1)
    .max(86_400)
    .default(300)
    .describe('Seconds between two reads of the feed (1–86400). Default 300.'),
});
export type NewItemFilters = z.infer<typeof NewItemFilters>;

/**
 * Kept between polls: the feed's ETag and Last-Modified, sent back as If-None-Match / If-Modified-Since so an
 * unchanged feed answers 304 without a body. `url` ties them to the feed they came from (a new version may
 * change it).
 */
export const NewItemState = z.object({
  url: z.string(),
  etag: z.string().max(1024).optional(),
  lastModified: z.string().max(256).optional(),
});
export type NewItemState = z.infer<typeof NewItemState>;

export const newItem = definePollTrigger<
  typeof NewItemFilters,
  typeof FeedItemData,
  typeof NewItemState,
  undefined,
  RssClient
>({
  key: 'newItem',
  title: 'New RSS or Atom feed item',
  description:
    'Starts the workflow once for each new entry of an RSS 2.0 or Atom feed, read every intervalSeconds (default 300). Entries already in the feed when the workflow is activated start nothing.',
  kind: 'poll',
  with: NewItemFilters,
  data: FeedItemData,
  state: NewItemState,
  sample: {
    id: 'urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a',
    title: 'Atom-Powered Robots Run Amok',
    link: 'http://example.org/2003/12/13/atom03',
    published: '2003-12-13T18:30:02.000Z',
    summary: 'Some text.',
  } satisfies FeedItemData,
  intervalMs: (filters) => filters.intervalSeconds * 1000,
  /**
   * A 304 (the feed has not changed since the validators in `state`) returns no items and the same state: the
   * items it listed before are still listed, and were handled by earlier polls.
   */
  async poll(ctx, filters, request) {
    const kept = request.state?.url === filters.url ? request.state : undefined;
    const answer = await fetchFeed(ctx.client, filters.url, {
      signal: ctx.signal,
      ...(kept ? { validators: kept } : {}),
    });
    if (answer.status === 'not-modified') return { items: [], ...(kept ? { state: kept } : {}) };
    const items = toFeedItems(answer.text, { url: filters.url, contentType: answer.contentType });
    const state: NewItemState = { url: filters.url };
    // Validators too long for the state are not kept: the next poll then reads the whole feed.
    if (answer.validators.etag && answer.validators.etag.length <= 1024) state.etag = answer.validators.etag;
    if (answer.validators.lastModified && answer.validators.lastModified.length <= 256)
      state.lastModified = answer.validators.lastModified;
    return { items, state };
  },
});
