import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import Fastify from 'fastify';
import {
  FailureQueue,
  type InjectedFailure,
  listenLocal,
  type RecordedRequest,
  recordRequest,
  sendFailure,
} from '../testing/fake-server.ts';

export type ServedFeed = {
  body: string | Buffer;
  /** Default `application/rss+xml; charset=utf-8`. */
  contentType?: string;
  /** Send an ETag (a hash of the body) and answer 304 to a matching If-None-Match. Default true. */
  etag?: boolean;
  /** Send this Last-Modified and answer 304 to an equal If-Modified-Since. */
  lastModified?: string;
  /** Stream the body without a Content-Length (chunked), as a generated feed would be. */
  chunked?: boolean;
};

export type RssFake = {
  /** Base URL, no trailing slash: a feed served at `/blog.xml` is `${url}/blog.xml`. */
  url: string;
  requests: RecordedRequest[];
  /** Serves (or replaces) the feed at `path`. */
  serve(path: string, feed: ServedFeed): void;
  /** Route keys are paths, e.g. `/blog.xml`. */
  fail(path: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

/**
 * A web server that serves feeds the way sites do: GET a path, get the XML with an ETag and optionally a
 * Last-Modified, and a 304 with no body when the client's If-None-Match / If-Modified-Since still match.
 */
export async function startRssFake(): Promise<RssFake> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const requests: RecordedRequest[] = [];
  const failures = new FailureQueue();
  const feeds = new Map<string, ServedFeed>();
  app.get('/*', async (request, reply) => {
    requests.push(recordRequest(request));
    const path = request.url.split('?')[0] ?? request.url;
    const failure = failures.take(path);
    if (failure) return sendFailure(reply, failure);
    const feed = feeds.get(path);
    if (!feed) return reply.code(404).type('text/html').send('<html><body>Not found</body></html>');
    const etag =
      feed.etag === false
        ? undefined
        : `"${createHash('sha256').update(feed.body).digest('hex').slice(0, 16)}"`;
    if (etag) reply.header('etag', etag);
    if (feed.lastModified) reply.header('last-modified', feed.lastModified);
    const ifNoneMatch = request.headers['if-none-match'];
    const ifModifiedSince = request.headers['if-modified-since'];
    if ((etag && ifNoneMatch === etag) || (feed.lastModified && ifModifiedSince === feed.lastModified)) {
      return reply.code(304).send();
    }
    reply.type(feed.contentType ?? 'application/rss+xml; charset=utf-8');
    if (!feed.chunked) return reply.send(feed.body);
    const bytes = Buffer.from(feed.body);
    const chunks = Array.from({ length: Math.ceil(bytes.length / 65_536) }, (_, index) =>
      bytes.subarray(index * 65_536, (index + 1) * 65_536),
    );
    return reply.send(Readable.from(chunks));
  });
  const url = await listenLocal(app);
  return {
    url,
    requests,
    serve: (path, feed) => {
      feeds.set(path, feed);
    },
    fail: (path, failure) => failures.add(path, failure),
    close: () => app.close(),
  };
}

export type RssEntry = {
  guid?: string;
  title?: string;
  link?: string;
  pubDate?: string;
  description?: string;
};

/** An RSS 2.0 document with these items (values are XML-escaped; `description` may hold HTML, as feeds do). */
export function renderRss(title: string, entries: readonly RssEntry[]): string {
  const escapeXml = (text: string) =>
    text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const field = (name: string, value: string | undefined) =>
    value === undefined ? '' : `<${name}>${escapeXml(value)}</${name}>`;
  const items = entries
    .map(
      (entry) =>
        `<item>${field('title', entry.title)}${field('link', entry.link)}${field('description', entry.description)}${field('pubDate', entry.pubDate)}${field('guid', entry.guid)}</item>`,
    )
    .join('\n');
  return `<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>${escapeXml(title)}</title><link>http://example.com/</link><description>test feed</description>\n${items}\n</channel></rss>`;
}
