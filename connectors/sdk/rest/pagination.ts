import LinkHeader from 'http-link-header';
import type { RestClient } from './rest-client.ts';
import type { RestRequest, RestResponse } from './rest-request.ts';

/** Pages are fetched one after another until the items, the pages or the vendor run out. */
export const DEFAULT_MAX_PAGES = 10;
export const MAX_PAGES_LIMIT = 100;

type PaginationBase<Input> = {
  /** The items of one page (parse them with the vendor's schema). */
  items(body: unknown): unknown[];
  /** Stop after this many items: the action's `limit`. Undefined: every page up to `maxPages`. */
  maxItems?(input: Input): number | undefined;
  /** At most this many requests per call (default 10, at most 100). */
  maxPages?: number;
};

/**
 * How a vendor hands out the next page: a cursor in the body (Todoist's next_cursor, Slack's), an offset or a page
 * number, a `Link: <…>; rel="next"` header (GitHub, Shopify), or the next page's URL in the body (`next`).
 */
export type Pagination<Input> = PaginationBase<Input> &
  (
    | {
        style: 'cursor';
        cursorParam: string;
        /** Where the cursor goes back: a query parameter (default) or a field of the JSON body (Jira's POST search). */
        cursorIn?: 'query' | 'json';
        nextCursor(body: unknown, headers: Headers): string | null | undefined;
      }
    | { style: 'offset'; offsetParam: string; limitParam: string; pageSize: number }
    | { style: 'page'; pageParam: string; firstPage?: number; sizeParam?: string; pageSize: number }
    | { style: 'link' }
    | { style: 'nextUrl'; nextUrl(body: unknown): string | null | undefined }
  );

/** What a paginated call collected: the items in the vendor's order, and whether more were left. */
export type CollectedPages = { items: unknown[]; pages: number; truncated: boolean; last: RestResponse };

type PageTarget = RestRequest | { method: 'GET'; url: URL };

function withQuery(request: RestRequest, query: Record<string, string | number>): RestRequest {
  return { ...request, query: { ...(request.query ?? {}), ...query } };
}

function withJsonField(request: RestRequest, name: string, value: string): RestRequest {
  const body = typeof request.json === 'object' && request.json !== null ? request.json : {};
  return { ...request, json: { ...body, [name]: value } };
}

function nextLink(headers: Headers, base: URL): URL | undefined {
  const header = headers.get('link');
  if (!header) return undefined;
  const [next] = LinkHeader.parse(header).get('rel', 'next');
  return next ? new URL(next.uri, base) : undefined;
}

/** The request of the page after `response`, or undefined when it was the last one. */
function nextPage<Input>(
  pagination: Pagination<Input>,
  first: RestRequest,
  previous: PageTarget,
  response: RestResponse,
  pageItems: number,
  pageIndex: number,
  client: RestClient,
): PageTarget | undefined {
  switch (pagination.style) {
    case 'cursor': {
      const cursor = pagination.nextCursor(response.body, response.headers);
      if (!cursor) return undefined;
      return pagination.cursorIn === 'json'
        ? withJsonField(first, pagination.cursorParam, cursor)
        : withQuery(first, { [pagination.cursorParam]: cursor });
    }
    case 'offset':
      if (pageItems < pagination.pageSize) return undefined;
      return withQuery(first, {
        [pagination.offsetParam]: (pageIndex + 1) * pagination.pageSize,
        [pagination.limitParam]: pagination.pageSize,
      });
    case 'page':
      if (pageItems < pagination.pageSize) return undefined;
      return withQuery(first, {
        [pagination.pageParam]: (pagination.firstPage ?? 1) + pageIndex + 1,
        ...(pagination.sizeParam ? { [pagination.sizeParam]: pagination.pageSize } : {}),
      });
    case 'link': {
      const base = 'url' in previous ? previous.url : client.baseUrl;
      const url = nextLink(response.headers, base);
      return url ? { method: 'GET', url } : undefined;
    }
    case 'nextUrl': {
      const next = pagination.nextUrl(response.body);
      return next ? { method: 'GET', url: new URL(next, client.baseUrl) } : undefined;
    }
  }
}

/** The first page's own paging parameters (an offset of 0, page 1, the page size). */
function firstPage<Input>(pagination: Pagination<Input>, request: RestRequest): RestRequest {
  switch (pagination.style) {
    case 'offset':
      return withQuery(request, {
        [pagination.offsetParam]: 0,
        [pagination.limitParam]: pagination.pageSize,
      });
    case 'page':
      return withQuery(request, {
        [pagination.pageParam]: pagination.firstPage ?? 1,
        ...(pagination.sizeParam ? { [pagination.sizeParam]: pagination.pageSize } : {}),
      });
    default:
      return request;
  }
}

/**
 * Fetches pages until the vendor has no next one, `maxItems` are collected or `maxPages` were asked for. A cursor
 * or link the vendor repeats ends the walk (a loop would otherwise spend the whole budget).
 */
export async function collectPages<Input>(
  client: RestClient,
  request: RestRequest,
  pagination: Pagination<Input>,
  input: Input,
  signal: AbortSignal,
): Promise<CollectedPages> {
  const maxPages = Math.min(MAX_PAGES_LIMIT, Math.max(1, pagination.maxPages ?? DEFAULT_MAX_PAGES));
  const maxItems = pagination.maxItems?.(input);
  const first = firstPage(pagination, request);
  const items: unknown[] = [];
  const seen = new Set<string>();
  let target: PageTarget = first;
  for (let pages = 1; ; pages++) {
    const response = await client.send(target, signal);
    const pageItems = pagination.items(response.body);
    items.push(...pageItems);
    const next: PageTarget | undefined = nextPage(
      pagination,
      first,
      target,
      response,
      pageItems.length,
      pages - 1,
      client,
    );
    if (maxItems !== undefined && items.length >= maxItems) {
      const more = items.length > maxItems || next !== undefined;
      return { items: items.slice(0, maxItems), pages, truncated: more, last: response };
    }
    if (!next || pageItems.length === 0) return { items, pages, truncated: false, last: response };
    const key = 'url' in next ? next.url.href : JSON.stringify([next.query ?? {}, next.json ?? null]);
    if (seen.has(key)) return { items, pages, truncated: false, last: response };
    seen.add(key);
    if (pages >= maxPages) return { items, pages, truncated: true, last: response };
    target = next;
  }
}
