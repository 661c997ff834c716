import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  FailureQueue,
  type InjectedFailure,
  listenLocal,
  type RecordedRequest,
  recordRequest,
  sendFailure,
} from '../testing/fake-server.ts';

export type FakeWordpressPost = {
  id: number;
  date: string;
  date_gmt: string;
  modified_gmt: string;
  slug: string;
  status: string;
  link: string;
  title: { rendered: string; raw: string };
  content: { rendered: string; raw: string };
  excerpt: { rendered: string; raw: string };
  author: number;
  featured_media: number;
  categories: number[];
  tags: number[];
};

export type FakeWordpressMedia = {
  id: number;
  fileName: string;
  mimeType: string;
  bytes: Buffer;
  title: string;
  alt_text: string;
  caption: string;
  post: number | null;
};

export type WordpressFake = {
  /** The site address to store in the credential's siteUrl (http on 127.0.0.1: give it as env.baseUrls). */
  siteUrl: string;
  /** The REST root, `<site>/wp-json/wp/v2`: give as env.baseUrls.wordpress. */
  url: string;
  username: string;
  applicationPassword: string;
  requests: RecordedRequest[];
  posts(): FakeWordpressPost[];
  media(): FakeWordpressMedia[];
  seed(count: number): void;
  /** The user's role: an author may create, a subscriber may not (rest_cannot_create). */
  setRole(role: 'author' | 'subscriber'): void;
  /** The application password is revoked (Users → Profile → Revoke). */
  revoke(): void;
  /** Route keys: `POST /posts`, `POST /posts/:id`, `GET /posts`, `POST /media`. */
  fail(route: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

/** The WordPress REST API's error body (WP_Error as JSON). */
export function wordpressError(code: string, message: string, status: number, extra: object = {}) {
  return { code, message, data: { status, ...extra } };
}

const PostWrite = z.object({
  title: z.string().optional(),
  content: z.string().optional(),
  excerpt: z.string().optional(),
  status: z.enum(['publish', 'future', 'draft', 'pending', 'private']).optional(),
  slug: z.string().optional(),
  date: z.string().optional(),
  categories: z.array(z.number().int()).optional(),
  tags: z.array(z.number().int()).optional(),
  featured_media: z.number().int().optional(),
});

const MediaWrite = z.object({
  title: z.string().optional(),
  alt_text: z.string().optional(),
  caption: z.string().optional(),
  post: z.number().int().optional(),
});

const ALLOWED_UPLOADS = /\.(jpe?g|png|gif|webp|pdf|txt|csv)$/i;
const ROOT = '/wp-json/wp/v2';

/**
 * A local WordPress REST API (developer.wordpress.org/rest-api/reference): Application Passwords over basic auth
 * (`incorrect_password` 401 when wrong), `POST /posts`, `POST /posts/{id}`, `GET /posts` paged by page/per_page
 * with X-WP-Total, X-WP-TotalPages and `Link: rel="next"` (a page past the last one is rest_post_invalid_page_number),
 * `POST /media` with the raw bytes and Content-Disposition, `POST /media/{id}`, `GET /users/me`; every failure is
 * `{ code, message, data: { status } }`.
 */
export async function startWordpressFake(): Promise<WordpressFake> {
  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 20 * 1024 * 1024 });
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  const requests: RecordedRequest[] = [];
  const failures = new FailureQueue();
  const posts: FakeWordpressPost[] = [];
  const media: FakeWordpressMedia[] = [];
  const username = 'ana';
  let applicationPassword = 'abcd EFGH 1234 ijkl MNOP 5678';
  let role: 'author' | 'subscriber' = 'author';
  let nextId = 100;
  let site = '';

  const render = (text: string) => ({ rendered: text.replaceAll('&', '&#038;'), raw: text });
  const newPost = (fields: z.infer<typeof PostWrite>): FakeWordpressPost => {
    const id = nextId++;
    const now = new Date().toISOString().slice(0, 19);
    const slug = fields.slug ?? (fields.title ?? `post-${id}`).toLowerCase().replace(/[^a-z0-9]+/g, '-');
    const post: FakeWordpressPost = {
      id,
      date: fields.date ?? now,
      date_gmt: fields.date ?? now,
      modified_gmt: now,
      slug,
      status: fields.status ?? 'draft',
      link: `${site}/?p=${id}`,
      title: render(fields.title ?? ''),
      content: render(fields.content ?? ''),
      excerpt: render(fields.excerpt ?? ''),
      author: 1,
      featured_media: fields.featured_media ?? 0,
      categories: fields.categories ?? [1],
      tags: fields.tags ?? [],
    };
    posts.push(post);
    return post;
  };
  const mediaJson = (item: FakeWordpressMedia) => ({
    id: item.id,
    source_url: `${site}/wp-content/uploads/2026/12/${item.fileName}`,
    link: `${site}/?attachment_id=${item.id}`,
    mime_type: item.mimeType,
    media_type: item.mimeType.startsWith('image/') ? 'image' : 'file',
    title: { rendered: item.title },
    alt_text: item.alt_text,
    caption: { rendered: item.caption },
    post: item.post,
  });

  const authorized = (request: FastifyRequest, reply: FastifyReply): boolean => {
    const header = request.headers.authorization ?? '';
    const decoded = header.startsWith('Basic ')
      ? Buffer.from(header.slice(6), 'base64').toString('utf8')
      : '';
    const [user, ...rest] = decoded.split(':');
    if (!header) {
      void reply
        .code(401)
        .send(wordpressError('rest_not_logged_in', 'You are not currently logged in.', 401));
      return false;
    }
    if (user !== username) {
      void reply
        .code(401)
        .send(
          wordpressError('invalid_username', 'Unknown username. Check again or try your email address.', 401),
        );
      return false;
    }
    if (rest.join(':') !== applicationPassword) {
      void reply
        .code(401)
        .send(
          wordpressError(
            'incorrect_password',
            'The provided password is an invalid application password.',
            401,
          ),
        );
      return false;
    }
    return true;
  };
  const canWrite = (reply: FastifyReply, code: string, message: string): boolean => {
    if (role === 'author') return true;
    void reply.code(403).send(wordpressError(code, message, 403));
    return false;
  };

  app.addHook('preHandler', async (request, reply) => {
    requests.push(recordRequest(request));
    const path = (request.url.split('?')[0] ?? '')
      .replace(ROOT, '')
      .replace(/^\/posts\/\d+$/, '/posts/:id')
      .replace(/^\/media\/\d+$/, '/media/:id');
    const failure = failures.take(`${request.method} ${path}`);
    if (failure) return sendFailure(reply, failure);
  });

  app.post(`${ROOT}/posts`, async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    if (!canWrite(reply, 'rest_cannot_create', 'Sorry, you are not allowed to create posts as this user.'))
      return reply;
    const body = PostWrite.safeParse(request.body ?? {});
    if (!body.success) {
      return reply.code(400).send(
        wordpressError('rest_invalid_param', 'Invalid parameter(s): status', 400, {
          params: { status: 'status is not one of publish, future, draft, pending, private.' },
        }),
      );
    }
    if (!body.data.title && !body.data.content) {
      return reply
        .code(400)
        .send(wordpressError('empty_content', 'Content, title, and excerpt are empty.', 400));
    }
    return reply.code(201).send(newPost(body.data));
  });

  app.post<{ Params: { id: string } }>(`${ROOT}/posts/:id`, async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const post = posts.find((candidate) => candidate.id === Number(request.params.id));
    if (!post) return reply.code(404).send(wordpressError('rest_post_invalid_id', 'Invalid post ID.', 404));
    if (!canWrite(reply, 'rest_cannot_edit', 'Sorry, you are not allowed to edit this post.')) return reply;
    const body = PostWrite.safeParse(request.body ?? {});
    if (!body.success)
      return reply.code(400).send(wordpressError('rest_invalid_param', 'Invalid parameter(s).', 400));
    const fields = body.data;
    if (fields.title !== undefined) post.title = render(fields.title);
    if (fields.content !== undefined) post.content = render(fields.content);
    if (fields.excerpt !== undefined) post.excerpt = render(fields.excerpt);
    if (fields.status) post.status = fields.status;
    if (fields.slug) post.slug = fields.slug;
    if (fields.date) post.date = fields.date;
    if (fields.categories) post.categories = fields.categories;
    if (fields.tags) post.tags = fields.tags;
    if (fields.featured_media !== undefined) post.featured_media = fields.featured_media;
    post.modified_gmt = new Date().toISOString().slice(0, 19);
    return post;
  });

  app.get<{ Querystring: Record<string, string | undefined> }>(`${ROOT}/posts`, async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const perPage = Number(request.query.per_page ?? 10);
    const page = Number(request.query.page ?? 1);
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100) {
      return reply.code(400).send(
        wordpressError('rest_invalid_param', 'Invalid parameter(s): per_page', 400, {
          params: { per_page: 'per_page must be between 1 (inclusive) and 100 (inclusive)' },
        }),
      );
    }
    const statuses = (request.query.status ?? 'publish').split(',');
    const search = request.query.search?.toLowerCase();
    const matching = posts
      .filter(
        (post) =>
          statuses.includes(post.status) &&
          (!search || `${post.title.raw} ${post.content.raw}`.toLowerCase().includes(search)),
      )
      .sort((a, b) => b.date.localeCompare(a.date) || b.id - a.id);
    const totalPages = Math.max(1, Math.ceil(matching.length / perPage));
    if (!Number.isInteger(page) || page < 1 || page > totalPages) {
      return reply
        .code(400)
        .send(
          wordpressError(
            'rest_post_invalid_page_number',
            'The page number requested is larger than the number of pages available.',
            400,
          ),
        );
    }
    reply.header('x-wp-total', String(matching.length));
    reply.header('x-wp-totalpages', String(totalPages));
    if (page < totalPages) {
      const next = new URL(`${site}${ROOT}/posts`);
      for (const [name, value] of Object.entries(request.query))
        if (value) next.searchParams.set(name, value);
      next.searchParams.set('page', String(page + 1));
      reply.header('link', `<${next.href}>; rel="next"`);
    }
    return matching.slice((page - 1) * perPage, page * perPage);
  });

  app.post(`${ROOT}/media`, async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    if (!canWrite(reply, 'rest_cannot_create', 'Sorry, you are not allowed to upload media on this site.'))
      return reply;
    const disposition = request.headers['content-disposition'] ?? '';
    const fileName = /filename="?([^";]+)"?/i.exec(disposition)?.[1];
    const bytes = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    if (!fileName) {
      return reply
        .code(400)
        .send(wordpressError('rest_upload_no_content_disposition', 'No Content-Disposition supplied.', 400));
    }
    if (bytes.length === 0)
      return reply.code(400).send(wordpressError('rest_upload_no_data', 'No data supplied.', 400));
    if (!ALLOWED_UPLOADS.test(fileName)) {
      return reply
        .code(500)
        .send(
          wordpressError(
            'rest_upload_sideload_error',
            'Sorry, you are not allowed to upload this file type.',
            500,
          ),
        );
    }
    const item: FakeWordpressMedia = {
      id: nextId++,
      fileName,
      mimeType: String(request.headers['content-type'] ?? 'application/octet-stream'),
      bytes,
      title: fileName.replace(/\.[^.]+$/, ''),
      alt_text: '',
      caption: '',
      post: null,
    };
    media.push(item);
    return reply.code(201).send(mediaJson(item));
  });

  app.post<{ Params: { id: string } }>(`${ROOT}/media/:id`, async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const item = media.find((candidate) => candidate.id === Number(request.params.id));
    if (!item) return reply.code(404).send(wordpressError('rest_post_invalid_id', 'Invalid post ID.', 404));
    const body = MediaWrite.parse(request.body ?? {});
    if (body.title !== undefined) item.title = body.title;
    if (body.alt_text !== undefined) item.alt_text = body.alt_text;
    if (body.caption !== undefined) item.caption = body.caption;
    if (body.post !== undefined) item.post = body.post;
    return mediaJson(item);
  });

  app.get(`${ROOT}/users/me`, async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    return { id: 1, name: 'Ana Lima', slug: username, roles: [role] };
  });

  site = await listenLocal(app);
  return {
    siteUrl: site,
    url: `${site}${ROOT}`,
    username,
    get applicationPassword() {
      return applicationPassword;
    },
    requests,
    posts: () => posts,
    media: () => media,
    seed(count) {
      for (let index = 0; index < count; index++) {
        newPost({
          title: `Seeded post ${index + 1}`,
          content: 'Hello',
          status: 'publish',
          date: new Date(Date.UTC(2026, 0, 1) + index * 60_000).toISOString().slice(0, 19),
        });
      }
    },
    setRole(next) {
      role = next;
    },
    revoke() {
      applicationPassword = 'zzzz YYYY 0000 xxxx WWWW 9999';
    },
    fail: (route, failure) => failures.add(route, failure),
    close: () => app.close(),
  };
}
