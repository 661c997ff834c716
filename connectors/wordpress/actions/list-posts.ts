import { z } from 'zod';
import { Post, toPost } from '../client.ts';
import { rest } from '../kit.ts';

export const ListPostsInput = z.strictObject({
  search: z.string().min(1).max(200).optional().describe('Only posts containing these words, e.g. "sale".'),
  status: z
    .array(z.enum(['publish', 'future', 'draft', 'pending', 'private']))
    .max(5)
    .optional()
    .describe('Only these statuses, e.g. ["draft"]; default published posts.'),
  categories: z
    .array(z.number().int().positive())
    .max(50)
    .optional()
    .describe('Only in these category ids, e.g. [4].'),
  after: z.iso
    .datetime({ local: true, offset: true })
    .optional()
    .describe('Only posts published after this date, e.g. "2026-11-01T00:00:00".'),
  limit: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(100)
    .describe('At most this many posts (1–1000, default 100); pages of 100 are fetched as needed.'),
});

const PAGE_SIZE = 100;

export const listPosts = rest.list({
  key: 'listPosts',
  title: 'List WordPress posts',
  description: 'Find posts on a WordPress site, newest first: by words, status, category or date.',
  effect: 'read',
  idempotent: true,
  input: ListPostsInput,
  output: z.object({
    posts: z.array(Post).describe('Posts, newest first.'),
    total: z
      .number()
      .int()
      .nullable()
      .describe('How many posts match in all (X-WP-Total), when the site says.'),
    truncated: z.boolean().describe('True when more posts matched than `limit`.'),
  }),
  http: {
    method: 'GET',
    path: '/posts',
    query: (input) => ({
      search: input.search,
      status: input.status?.join(','),
      categories: input.categories?.join(','),
      after: input.after,
      per_page: Math.min(PAGE_SIZE, input.limit),
      orderby: 'date',
      order: 'desc',
    }),
  },
  // WordPress sends `Link: <…?page=2>; rel="next"` with X-WP-Total and X-WP-TotalPages; asking past the last page
  // is a 400 (rest_post_invalid_page_number), so the walk follows the link instead of counting pages.
  paginate: {
    style: 'link',
    items: (body) => z.array(z.unknown()).max(PAGE_SIZE).parse(body),
    maxItems: (input) => input.limit,
  },
  project: (collected) => {
    const total = Number(collected.last.headers.get('x-wp-total'));
    return {
      posts: collected.items.map(toPost),
      total: Number.isInteger(total) && collected.last.headers.has('x-wp-total') ? total : null,
      truncated: collected.truncated,
    };
  },
});
