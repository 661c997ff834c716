import { randomBytes } from 'node:crypto';
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

export type FakeMattermostPost = {
  id: string;
  create_at: number;
  update_at: number;
  user_id: string;
  channel_id: string;
  root_id: string;
  message: string;
  type: string;
  props: Record<string, unknown>;
};

export type MattermostFake = {
  /** The server URL for the credential (the API is under /api/v4). */
  serverUrl: string;
  token: string;
  channelId: string;
  teamName: string;
  channelName: string;
  requests: RecordedRequest[];
  posts(): FakeMattermostPost[];
  /** The token is revoked (Profile → Security → Delete). */
  revoke(): void;
  /** Route keys: `POST /posts`, `GET /posts/:id`, `GET /teams/name/:team/channels/name/:channel`. */
  fail(route: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

/** Mattermost's AppError JSON. */
export function mattermostError(status: number, id: string, message: string) {
  return {
    id,
    message,
    detailed_error: '',
    request_id: randomBytes(13).toString('hex').slice(0, 26),
    status_code: status,
  };
}

const newId = () =>
  randomBytes(16)
    .toString('hex')
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 26)
    .padEnd(26, 'a');

const PostBody = z.object({
  channel_id: z.string(),
  message: z.string().max(16_383),
  root_id: z.string().optional(),
  props: z.record(z.string(), z.unknown()).optional(),
});

/**
 * A local Mattermost server (REST API v4, https://developers.mattermost.com/api-documentation/): bearer personal
 * access tokens, POST /api/v4/posts (201; root_id for a thread), GET /api/v4/posts/{id}, channel lookup by team and
 * channel name, GET /users/me; AppError bodies and the X-Ratelimit-* headers on 429.
 */
export async function startMattermostFake(): Promise<MattermostFake> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const requests: RecordedRequest[] = [];
  const failures = new FailureQueue();
  const posts: FakeMattermostPost[] = [];
  const userId = newId();
  const channelId = newId();
  const teamName = 'engineering';
  const channelName = 'town-square';
  let token = newId();

  const authorized = (request: FastifyRequest, reply: FastifyReply): boolean => {
    if (request.headers.authorization === `Bearer ${token}`) return true;
    void reply
      .code(401)
      .send(
        mattermostError(
          401,
          'api.context.session_expired.app_error',
          'Invalid or expired session, please login again.',
        ),
      );
    return false;
  };

  app.addHook('preHandler', async (request, reply) => {
    requests.push(recordRequest(request));
    const path = (request.url.split('?')[0] ?? '')
      .replace(/^\/api\/v4/, '')
      .replace(/^\/posts\/[^/]+$/, '/posts/:id')
      .replace(/^\/teams\/name\/[^/]+\/channels\/name\/[^/]+$/, '/teams/name/:team/channels/name/:channel');
    const failure = failures.take(`${request.method} ${path}`);
    if (failure) return sendFailure(reply, failure);
  });

  app.post('/api/v4/posts', async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const body = PostBody.safeParse(request.body);
    if (!body.success) {
      return reply
        .code(400)
        .send(
          mattermostError(
            400,
            'api.context.invalid_body_param.app_error',
            'Invalid or missing post in request body.',
          ),
        );
    }
    if (body.data.channel_id !== channelId) {
      return reply
        .code(403)
        .send(
          mattermostError(
            403,
            'api.context.permissions.app_error',
            'You do not have the appropriate permissions.',
          ),
        );
    }
    if (body.data.root_id && !posts.some((post) => post.id === body.data.root_id && post.root_id === '')) {
      return reply
        .code(400)
        .send(mattermostError(400, 'api.post.create_post.root_id.app_error', 'Invalid RootId parameter.'));
    }
    const now = Date.now();
    const post: FakeMattermostPost = {
      id: newId(),
      create_at: now,
      update_at: now,
      user_id: userId,
      channel_id: channelId,
      root_id: body.data.root_id ?? '',
      message: body.data.message,
      type: '',
      props: body.data.props ?? {},
    };
    posts.push(post);
    return reply.code(201).send(post);
  });

  app.get<{ Params: { id: string } }>('/api/v4/posts/:id', async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const post = posts.find((candidate) => candidate.id === request.params.id);
    if (!post) {
      return reply.code(404).send(mattermostError(404, 'app.post.get.app_error', 'Unable to get the post.'));
    }
    return post;
  });

  app.get<{ Params: { team: string; channel: string } }>(
    '/api/v4/teams/name/:team/channels/name/:channel',
    async (request, reply) => {
      if (!authorized(request, reply)) return reply;
      if (request.params.team !== teamName || request.params.channel !== channelName) {
        return reply
          .code(404)
          .send(mattermostError(404, 'app.channel.get_by_name.missing.app_error', 'Channel does not exist.'));
      }
      return { id: channelId, name: channelName, display_name: 'Town Square', type: 'O' };
    },
  );

  app.get('/api/v4/users/me', async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    return { id: userId, username: 'deploy-bot' };
  });

  const serverUrl = await listenLocal(app);
  return {
    serverUrl,
    get token() {
      return token;
    },
    channelId,
    teamName,
    channelName,
    requests,
    posts: () => posts,
    revoke() {
      token = newId();
    },
    fail: (route, failure) => failures.add(route, failure),
    close: () => app.close(),
  };
}
