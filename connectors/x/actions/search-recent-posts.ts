import { z } from 'zod';
import { toXPost, XPost } from '../client.ts';
import { rest } from '../kit.ts';

export const SearchRecentPostsInput = z.strictObject({
  query: z
    .string()
    .min(1)
    .max(512)
    .describe(
      'An X search query (operators allowed), e.g. "velocitymesh -is:retweet lang:en" or "from:nasa".',
    ),
  startTime: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('Only posts after this time (within the last 7 days), e.g. "2026-12-01T00:00:00Z".'),
  sinceId: z
    .string()
    .regex(/^[0-9]{1,19}$/)
    .optional()
    .describe('Only posts newer than this post id, e.g. the newestId of an earlier search.'),
  limit: z
    .number()
    .int()
    .min(10)
    .max(1000)
    .default(100)
    .describe('At most this many posts (10–1000, default 100); pages of up to 100 are fetched as needed.'),
});

const User = z.object({ id: z.string(), username: z.string() }).loose();
const SearchPage = z.object({
  data: z.array(z.unknown()).max(100).optional(),
  includes: z
    .object({ users: z.array(User).max(200).optional() })
    .loose()
    .optional(),
  meta: z
    .object({ next_token: z.string().optional(), newest_id: z.string().optional(), result_count: z.number() })
    .loose()
    .optional(),
});
const PAGE_SIZE = 100;

/** One page's posts with their authors' handles (each page carries its own `includes.users`). */
function pagePosts(body: unknown): XPost[] {
  const page = SearchPage.parse(body);
  const usernames = new Map((page.includes?.users ?? []).map((user) => [user.id, user.username]));
  return (page.data ?? []).map((raw) => toXPost(raw, usernames));
}

export const searchRecentPosts = rest.list({
  key: 'searchRecentPosts',
  title: 'Search recent posts on X',
  description:
    'Find posts on X from the last 7 days matching a search query (words, hashtags, from:user, -is:retweet …), newest first, with their authors and counts.',
  effect: 'read',
  idempotent: true,
  input: SearchRecentPostsInput,
  output: z.object({
    posts: z.array(XPost).describe('Matching posts, newest first.'),
    newestId: z.string().nullable().describe('The newest post id: give it as sinceId next time.'),
    truncated: z.boolean().describe('True when more posts matched than `limit`.'),
  }),
  http: {
    method: 'GET',
    path: '/tweets/search/recent',
    query: (input) => ({
      query: input.query,
      start_time: input.startTime,
      since_id: input.sinceId,
      max_results: Math.min(PAGE_SIZE, input.limit),
      'tweet.fields': 'created_at,author_id,conversation_id,public_metrics,lang',
      expansions: 'author_id',
      'user.fields': 'username',
    }),
  },
  paginate: {
    style: 'cursor',
    cursorParam: 'next_token',
    nextCursor: (body) => SearchPage.parse(body).meta?.next_token,
    items: pagePosts,
    maxItems: (input) => input.limit,
  },
  project: (collected) => {
    const posts = z.array(XPost).parse(collected.items);
    return { posts, newestId: posts[0]?.id ?? null, truncated: collected.truncated };
  },
});
