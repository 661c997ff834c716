import { z } from 'zod';
import { type BoundAuth, bindAuth } from '../sdk/auth/auth-style.ts';
import { bearerStyle } from '../sdk/auth/header-styles.ts';
import { OAuth2Credential, oauth2Style } from '../sdk/auth/oauth2.ts';
import { ConnectorError } from '../sdk/connector-error.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';
import { createRestClient, type RestApi, type RestClient } from '../sdk/rest/index.ts';

export const X_API_URL = 'https://api.x.com/2';

export const XCredential = z.strictObject({
  token: z
    .string()
    .min(20)
    .max(2000)
    .regex(/^[A-Za-z0-9._~+/=%-]+$/, 'an OAuth 2.0 user access token')
    .describe('An OAuth 2.0 user-context access token with tweet.read, tweet.write and users.read.'),
});
export type XCredential = z.infer<typeof XCredential>;

/** What the client gets: an `x` token as a bearer, or an `oauth2` credential (renewed on expiry and on a 401). */
export function xAuthOf(type: string, credential: unknown): BoundAuth {
  if (type === 'oauth2') return bindAuth(oauth2Style, OAuth2Credential.parse(credential));
  return bindAuth(bearerStyle, { token: XCredential.parse(credential).token });
}

/** X API v2 problem details (`{ title, detail, type, status }`) and the older `{ errors: [{ message }] }`. */
const XErrorBody = z.object({
  title: z.string().optional(),
  detail: z.string().optional(),
  type: z.string().optional(),
  reason: z.string().optional(),
  errors: z
    .array(
      z
        .object({ message: z.string().optional(), code: z.number().optional(), title: z.string().optional() })
        .loose(),
    )
    .max(50)
    .optional(),
});

const TYPE_HINTS: Readonly<Record<string, string>> = {
  'client-forbidden':
    'The app is not attached to a Project with v2 access: attach it in the developer portal (Projects & Apps).',
  'usage-capped':
    'The project’s monthly post cap is used up: wait for the reset or move to a higher access tier.',
  'invalid-request': 'Change the parameter the message names.',
  'not-authorized-for-resource': 'The post is protected or deleted: the account cannot see it.',
  'resource-not-found': 'Check the post id: it does not exist or was deleted.',
  'duplicate-rules': 'The same text was posted recently: change the text.',
  'reply-not-visible':
    'The post to answer is deleted, protected, or its author limits who may reply: pick another post.',
};

function problemKind(type: string | undefined): string | undefined {
  return type?.split('/').at(-1);
}

export const xApi: RestApi<BoundAuth> = {
  connector: 'x',
  baseUrl: X_API_URL,
  auth: (bound) => bound,
  vendorError(body, status) {
    const parsed = XErrorBody.safeParse(body);
    if (!parsed.success) return undefined;
    const { title, detail, type, reason, errors } = parsed.data;
    const messages = (errors ?? []).flatMap((entry) => (entry.message ? [entry.message] : [])).slice(0, 3);
    const message = [detail ?? title, ...messages].filter(Boolean).join('; ');
    const kind = reason ?? problemKind(type);
    const duplicate = status === 403 && /duplicate content/i.test(message);
    const replyRefused = status === 403 && /reply to a Tweet that is deleted or not visible/i.test(message);
    const hint = duplicate
      ? TYPE_HINTS['duplicate-rules']
      : replyRefused
        ? TYPE_HINTS['reply-not-visible']
        : kind
          ? TYPE_HINTS[kind]
          : undefined;
    return { message: message || undefined, vendorCode: kind === 'about:blank' ? title : kind, hint };
  },
  hints: {
    401: 'X refused the access token (expired or revoked): connect again with `vmesh credentials connect NAME --type oauth2 --provider x`, or store a new token with `vmesh credentials set NAME --type x`.',
    403: 'The token lacks a scope (tweet.write to post, tweet.read and users.read to read) or the account may not do this.',
    429: 'X’s rate limit for this endpoint is spent: the step waits for x-rate-limit-reset.',
  },
};

/**
 * X names its limit headers `x-rate-limit-remaining` / `x-rate-limit-reset`: they are also given under the
 * `x-ratelimit-*` names the REST client reads, so a spent limit holds the credential back and a 429 waits for it.
 */
export function withXRateLimitHeaders(fetch: typeof globalThis.fetch): typeof globalThis.fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    const remaining = response.headers.get('x-rate-limit-remaining');
    const reset = response.headers.get('x-rate-limit-reset');
    if (remaining === null || reset === null) return response;
    const headers = new Headers(response.headers);
    headers.set('x-ratelimit-remaining', remaining);
    headers.set('x-ratelimit-reset', reset);
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  };
}

/** X answers 403 for refusals of the content (a duplicate, a reply to a post that is gone), not of the token. */
const CONTENT_REFUSAL = /duplicate content|reply to a Tweet that is deleted or not visible/i;

/** A 403 that refuses the post's content is E_REQUEST (change the text or target), not E_AUTH (reconnect). */
export function asContentRefusal(error: unknown): unknown {
  if (!(error instanceof ConnectorError) || error.status !== 403 || !CONTENT_REFUSAL.test(error.message))
    return error;
  const { status: _status, ...details } = error.details;
  return new ConnectorError({
    code: 'E_REQUEST',
    message: error.message,
    retryable: false,
    status: 403,
    ...(error.hint ? { hint: error.hint } : {}),
    details,
    cause: error,
  });
}

export function createXClient(options: {
  credential: BoundAuth | undefined;
  env: ConnectorEnvironment;
}): RestClient {
  const env = { ...options.env, fetch: withXRateLimitHeaders(options.env.fetch) };
  const client = createRestClient(xApi, { credential: options.credential, env });
  return {
    connector: client.connector,
    baseUrl: client.baseUrl,
    send: (request, signal) =>
      client.send(request, signal).catch((error: unknown) => {
        throw asContentRefusal(error);
      }),
  };
}

/** A post as X API v2 answers it, with the fields this connector asks for. */
export const XPostBody = z.object({
  id: z.string(),
  text: z.string(),
  author_id: z.string().optional(),
  created_at: z.string().optional(),
  conversation_id: z.string().optional(),
  lang: z.string().optional(),
  public_metrics: z
    .object({
      retweet_count: z.number().optional(),
      reply_count: z.number().optional(),
      like_count: z.number().optional(),
      quote_count: z.number().optional(),
    })
    .loose()
    .optional(),
});

export const XPost = z.object({
  id: z.string().describe('The post id.'),
  text: z.string().describe('The text.'),
  url: z.string().describe('The post’s address on x.com.'),
  authorId: z.string().nullable().describe('The author’s user id.'),
  authorUsername: z.string().nullable().describe('The author’s @handle without @, when known.'),
  createdAt: z.string().nullable().describe('When it was posted (ISO 8601).'),
  conversationId: z.string().nullable().describe('The thread it belongs to.'),
  likes: z.number().int().nullable().describe('Like count, when X gave it.'),
  replies: z.number().int().nullable().describe('Reply count, when X gave it.'),
  reposts: z.number().int().nullable().describe('Repost count, when X gave it.'),
});
export type XPost = z.infer<typeof XPost>;

export function toXPost(raw: unknown, usernames: ReadonlyMap<string, string> = new Map()): XPost {
  const post = XPostBody.parse(raw);
  const authorUsername = post.author_id ? (usernames.get(post.author_id) ?? null) : null;
  return {
    id: post.id,
    text: post.text,
    url: `https://x.com/${authorUsername ?? 'i'}/status/${post.id}`,
    authorId: post.author_id ?? null,
    authorUsername,
    createdAt: post.created_at ?? null,
    conversationId: post.conversation_id ?? null,
    likes: post.public_metrics?.like_count ?? null,
    replies: post.public_metrics?.reply_count ?? null,
    reposts: post.public_metrics?.retweet_count ?? null,
  };
}

export const CreatedPostBody = z.object({
  data: z.object({
    id: z.string(),
    text: z.string(),
    edit_history_tweet_ids: z.array(z.string()).optional(),
  }),
});

export const CreatedPost = z.object({
  id: z.string().describe('The new post’s id.'),
  text: z.string().describe('The text as X stored it (links shortened).'),
  url: z.string().describe('The post’s address on x.com.'),
});

export function toCreatedPost(body: unknown): z.infer<typeof CreatedPost> {
  const { data } = CreatedPostBody.parse(body);
  return { id: data.id, text: data.text, url: `https://x.com/i/status/${data.id}` };
}

export const PostText = z
  .string()
  .min(1)
  .max(4000)
  .describe('The text, up to 280 characters on a free account (links count as 23), e.g. "We are live!".');

export const PostId = z
  .string()
  .regex(/^[0-9]{1,19}$/, 'a post id: digits only')
  .describe('A post id (the digits at the end of its x.com link), e.g. "1866212345678901234".');

export const MediaIds = z
  .array(z.string().regex(/^[0-9]{1,19}$/))
  .min(1)
  .max(4)
  .optional()
  .describe('Up to 4 media ids uploaded to X beforehand, e.g. ["1866212345678900000"].');
