import { createHash, randomBytes } from 'node:crypto';
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

export type FakeXPost = {
  id: string;
  text: string;
  author_id: string;
  created_at: string;
  conversation_id: string;
  in_reply_to_tweet_id?: string;
  public_metrics: { retweet_count: number; reply_count: number; like_count: number; quote_count: number };
};

export type XFake = {
  /** The API root `<origin>/2`: give as env.baseUrls.x. */
  url: string;
  /** A valid OAuth 2.0 user access token. */
  token: string;
  userId: string;
  requests: RecordedRequest[];
  posts(): FakeXPost[];
  seed(count: number, text: string): void;
  /** Revokes every token (the person removed the app under Connected apps). */
  revoke(): void;
  /** The remaining calls of the current 15-minute window; 0 makes every call a 429. */
  setRemaining(remaining: number): void;
  oauth: {
    tokenUrl: string;
    clientId: string;
    clientSecret: string;
    /** A code for the S256 `challenge` of the connecting person's verifier. */
    issueCode(challenge: string): string;
  };
  /** Route keys: `POST /tweets`, `GET /tweets/search/recent`. */
  fail(route: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

/** X API v2's problem details body. */
export function xProblem(status: number, title: string, detail: string, type = 'about:blank') {
  return { title, detail, type, status };
}

const CreateBody = z.object({
  text: z.string().optional(),
  reply: z.object({ in_reply_to_tweet_id: z.string() }).optional(),
  quote_tweet_id: z.string().optional(),
  media: z.object({ media_ids: z.array(z.string()) }).optional(),
});

const INVALID_REQUEST = 'https://api.twitter.com/2/problems/invalid-request';

/**
 * A local X API v2 (docs.x.com/x-api): bearer user tokens, `POST /2/tweets` (text, reply.in_reply_to_tweet_id,
 * duplicate content refused with 403), `GET /2/tweets/search/recent` paged by max_results (10–100) and next_token
 * with `includes.users`, `GET /2/users/me`, x-rate-limit-limit/-remaining/-reset on every answer (429 when spent),
 * problem-details errors and `{ errors: [...] }` for invalid parameters, and the OAuth 2.0 token endpoint
 * (`POST /2/oauth2/token`: Basic client auth, PKCE S256, rotating refresh tokens).
 */
export async function startXFake(): Promise<XFake> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );
  const requests: RecordedRequest[] = [];
  const failures = new FailureQueue();
  const posts: FakeXPost[] = [];
  const userId = '2244994945';
  const username = 'velocitymesh';
  const staticToken = 'dGVzdC11c2VyLWFjY2Vzcy10b2tlbi0wMTIzNDU2Nzg5';
  const accessTokens = new Set([staticToken]);
  const refreshTokens = new Set<string>();
  const codes = new Map<string, string>();
  const clientId = 'x-client-id-TW9uZGF5';
  const clientSecret = `x-secret-${randomBytes(12).toString('hex')}`;
  let remaining = 100;
  let nextId = 1866212345678900000n;

  const addPost = (text: string, replyTo?: string): FakeXPost => {
    const id = String(nextId++);
    const post: FakeXPost = {
      id,
      text,
      author_id: userId,
      created_at: new Date().toISOString(),
      conversation_id: replyTo ? (posts.find((p) => p.id === replyTo)?.conversation_id ?? replyTo) : id,
      ...(replyTo ? { in_reply_to_tweet_id: replyTo } : {}),
      public_metrics: { retweet_count: 0, reply_count: 0, like_count: 3, quote_count: 0 },
    };
    posts.push(post);
    return post;
  };

  const limitHeaders = (reply: FastifyReply) => {
    reply.header('x-rate-limit-limit', '100');
    reply.header('x-rate-limit-remaining', String(Math.max(0, remaining)));
    reply.header('x-rate-limit-reset', String(Math.floor(Date.now() / 1000) + 600));
  };

  const authorized = (request: FastifyRequest, reply: FastifyReply): boolean => {
    const token = request.headers.authorization?.replace(/^Bearer /, '') ?? '';
    if (accessTokens.has(token)) return true;
    void reply.code(401).send(xProblem(401, 'Unauthorized', 'Unauthorized'));
    return false;
  };

  app.addHook('preHandler', async (request, reply) => {
    requests.push(recordRequest(request));
    const path = (request.url.split('?')[0] ?? '').replace(/^\/2/, '');
    if (path === '/oauth2/token') return;
    const failure = failures.take(`${request.method} ${path}`);
    if (failure) return sendFailure(reply, failure);
    if (remaining <= 0) {
      limitHeaders(reply);
      return reply.code(429).send(xProblem(429, 'Too Many Requests', 'Too Many Requests'));
    }
    remaining -= 1;
    limitHeaders(reply);
  });

  app.post('/2/tweets', async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const body = CreateBody.safeParse(request.body ?? {});
    if (!body.success || !body.data.text) {
      return reply.code(400).send({
        errors: [{ message: 'Post text is required when no media is attached.' }],
        title: 'Invalid Request',
        detail: 'One or more parameters to your request was invalid.',
        type: INVALID_REQUEST,
      });
    }
    const text = body.data.text;
    const replyTo = body.data.reply?.in_reply_to_tweet_id;
    if (replyTo && !posts.some((post) => post.id === replyTo)) {
      return reply
        .code(403)
        .send(
          xProblem(
            403,
            'Forbidden',
            'You attempted to reply to a Tweet that is deleted or not visible to you.',
          ),
        );
    }
    if (posts.at(-1)?.text === text) {
      return reply
        .code(403)
        .send(xProblem(403, 'Forbidden', 'You are not allowed to create a Tweet with duplicate content.'));
    }
    const post = addPost(text, replyTo);
    if (replyTo) {
      const parent = posts.find((candidate) => candidate.id === replyTo);
      if (parent) parent.public_metrics.reply_count += 1;
    }
    return reply
      .code(201)
      .send({ data: { id: post.id, text: post.text, edit_history_tweet_ids: [post.id] } });
  });

  app.get<{ Querystring: Record<string, string | undefined> }>(
    '/2/tweets/search/recent',
    async (request, reply) => {
      if (!authorized(request, reply)) return reply;
      const query = request.query.query ?? '';
      const max = Number(request.query.max_results ?? 10);
      if (!query || query.length > 512 || !Number.isInteger(max) || max < 10 || max > 100) {
        return reply.code(400).send({
          errors: [
            {
              parameters: { max_results: [String(request.query.max_results)] },
              message: `The \`max_results\` query parameter value [${request.query.max_results}] is not between 10 and 100`,
            },
          ],
          title: 'Invalid Request',
          detail: 'One or more parameters to your request was invalid.',
          type: INVALID_REQUEST,
        });
      }
      const words = query
        .split(/\s+/)
        .filter((word) => word && !word.includes(':') && !word.startsWith('-'))
        .map((word) => word.toLowerCase());
      const since = request.query.since_id ? BigInt(request.query.since_id) : undefined;
      const matching = posts
        .filter(
          (post) =>
            words.every((word) => post.text.toLowerCase().includes(word)) &&
            (since === undefined || BigInt(post.id) > since),
        )
        .sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1));
      const start = request.query.next_token
        ? Number(Buffer.from(request.query.next_token, 'base64url').toString())
        : 0;
      const page = matching.slice(start, start + max);
      const fields = new Set((request.query['tweet.fields'] ?? '').split(','));
      const data = page.map((post) => ({
        id: post.id,
        text: post.text,
        edit_history_tweet_ids: [post.id],
        ...(fields.has('author_id') ? { author_id: post.author_id } : {}),
        ...(fields.has('created_at') ? { created_at: post.created_at } : {}),
        ...(fields.has('conversation_id') ? { conversation_id: post.conversation_id } : {}),
        ...(fields.has('public_metrics') ? { public_metrics: post.public_metrics } : {}),
      }));
      const more = start + max < matching.length;
      const meta = {
        result_count: page.length,
        ...(page.length > 0 ? { newest_id: page[0]?.id, oldest_id: page.at(-1)?.id } : {}),
        ...(more ? { next_token: Buffer.from(String(start + max)).toString('base64url') } : {}),
      };
      if (page.length === 0) return { meta };
      const includes =
        request.query.expansions === 'author_id'
          ? { users: [{ id: userId, name: 'VelocityMesh', username }] }
          : undefined;
      return { data, ...(includes ? { includes } : {}), meta };
    },
  );

  app.get('/2/users/me', async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    return { data: { id: userId, name: 'VelocityMesh', username } };
  });

  const tokenError = (reply: FastifyReply, error: string, description: string) =>
    reply.code(400).send({ error, error_description: description });
  const issueTokens = () => {
    const access = `xat-${randomBytes(24).toString('base64url')}`;
    const refresh = `xrt-${randomBytes(24).toString('base64url')}`;
    accessTokens.add(access);
    refreshTokens.add(refresh);
    return {
      token_type: 'bearer',
      expires_in: 7200,
      access_token: access,
      scope: 'tweet.read tweet.write users.read offline.access',
      refresh_token: refresh,
    };
  };
  app.post<{ Body: Record<string, string | undefined> }>('/2/oauth2/token', async (request, reply) => {
    const expected = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
    if (request.headers.authorization !== expected) {
      return reply
        .code(401)
        .send({ error: 'unauthorized_client', error_description: 'Missing valid authorization header' });
    }
    const form = request.body ?? {};
    if (form.grant_type === 'authorization_code') {
      const challenge = codes.get(form.code ?? '');
      const given = createHash('sha256')
        .update(form.code_verifier ?? '')
        .digest('base64url');
      if (!challenge || challenge !== given) {
        return tokenError(reply, 'invalid_request', 'Value passed for the authorization code was invalid.');
      }
      codes.delete(form.code ?? '');
      return issueTokens();
    }
    if (form.grant_type === 'refresh_token') {
      if (!refreshTokens.delete(form.refresh_token ?? '')) {
        return tokenError(reply, 'invalid_request', 'Value passed for the token was invalid.');
      }
      return issueTokens();
    }
    return tokenError(reply, 'unsupported_grant_type', 'Unsupported grant type.');
  });

  const origin = await listenLocal(app);
  return {
    url: `${origin}/2`,
    token: staticToken,
    userId,
    requests,
    posts: () => posts,
    seed(count, text) {
      for (let index = 0; index < count; index++) addPost(`${text} #${index + 1}`);
    },
    revoke() {
      accessTokens.clear();
      refreshTokens.clear();
    },
    setRemaining(next) {
      remaining = next;
    },
    oauth: {
      tokenUrl: `${origin}/2/oauth2/token`,
      clientId,
      clientSecret,
      issueCode(challenge) {
        const code = `xcode-${randomBytes(12).toString('hex')}`;
        codes.set(code, challenge);
        return code;
      },
    },
    fail: (route, failure) => failures.add(route, failure),
    close: () => app.close(),
  };
}
