import { z } from 'zod';
import { bindAuth } from '../sdk/auth/auth-style.ts';
import { bearerStyle } from '../sdk/auth/header-styles.ts';
import { ConnectorError } from '../sdk/connector-error.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';
import { createRestClient, type RestApi, type RestClient } from '../sdk/rest/index.ts';

const ServerUrl = z
  .url({ protocol: /^https?$/ })
  .refine((value) => {
    if (!URL.canParse(value)) return false;
    const url = new URL(value);
    return !url.username && !url.password && !url.search && !url.hash;
  }, 'a server URL without user, password, query or fragment, e.g. https://chat.example.com')
  .transform((value) => value.replace(/\/+$/, ''))
  .describe('The Mattermost server, e.g. "https://chat.example.com" (the address you open in the browser).');

export const MattermostCredential = z.strictObject({
  serverUrl: ServerUrl,
  token: z
    .string()
    .regex(/^[a-z0-9]{26}$/, 'a Mattermost personal access token (26 lower-case letters and digits)')
    .describe(
      'A personal access token (Profile → Security → Personal Access Tokens) or a bot account token.',
    ),
});
export type MattermostCredential = z.output<typeof MattermostCredential>;

/** Mattermost's AppError body: `{ id, message, detailed_error, request_id, status_code }`. */
const MattermostErrorBody = z.object({
  id: z.string().optional(),
  message: z.string().optional(),
  request_id: z.string().optional(),
  status_code: z.number().optional(),
});

const SET = 'vmesh credentials set NAME --type mattermost';

/** The API at the credential's server: the base URL is part of the credential, so every server is its own API. */
export function mattermostApi(serverUrl: string): RestApi<MattermostCredential> {
  return {
    connector: 'mattermost',
    baseUrl: `${serverUrl}/api/v4`,
    auth: (credential) => bindAuth(bearerStyle, { token: credential.token }),
    vendorError(body) {
      const parsed = MattermostErrorBody.safeParse(body);
      if (!parsed.success || (!parsed.data.id && !parsed.data.message)) return undefined;
      const { id, message } = parsed.data;
      if (id === 'api.context.session_expired.app_error' || id === 'api.context.invalid_token.error') {
        return {
          message,
          vendorCode: id,
          hint: `The token was revoked or the account deactivated: create a new personal access token and store it with \`${SET}\` (JSON {"serverUrl","token"}).`,
        };
      }
      return { message, vendorCode: id };
    },
    hints: {
      400: 'Change the field the message names (a channel id is 26 characters, a message at most 16 383 characters).',
      401: `The token was revoked or is wrong: create a new personal access token and store it with \`${SET}\`.`,
      403: 'The token’s user may not post here: add the user (or bot) to the channel, or give it the post permission.',
      404: 'Check the channel or post id: it does not exist or the user cannot see it.',
    },
  };
}

/**
 * The client for the credential's server. Every request goes through `env.fetch`, the engine's guarded fetch: a
 * server on a private address is refused unless the operator allows it (VMESH_HTTP_ALLOW_HOSTS), so a credential
 * cannot point requests at internal services. `env.baseUrls.mattermost` (tests) takes the place of the server.
 */
export function createMattermostClient(options: {
  credential: MattermostCredential | undefined;
  env: ConnectorEnvironment;
}): RestClient {
  if (!options.credential) {
    throw new ConnectorError({
      code: 'E_CREDENTIAL',
      message: 'mattermost needs a credential with the server URL and a token.',
      retryable: false,
      hint: `Store one with \`${SET}\`: {"serverUrl":"https://chat.example.com","token":"…"}.`,
    });
  }
  return createRestClient(mattermostApi(options.credential.serverUrl), options);
}

export const ChannelRef = z
  .string()
  .regex(
    /^(?:[a-z0-9]{26}|[a-z0-9][a-z0-9_-]{0,63}\/[a-z0-9][a-z0-9_-]{0,63})$/,
    'a channel id (26 characters) or "team-name/channel-name"',
  );

const ChannelBody = z.object({ id: z.string() });

/** A channel id as given, or the id of "team-name/channel-name" (GET /teams/name/{team}/channels/name/{channel}). */
export async function resolveChannel(client: RestClient, ref: string, signal: AbortSignal): Promise<string> {
  if (!ref.includes('/')) return ref;
  const [team = '', channel = ''] = ref.split('/');
  const response = await client.send(
    {
      method: 'GET',
      path: `/teams/name/${encodeURIComponent(team)}/channels/name/${encodeURIComponent(channel)}`,
    },
    signal,
  );
  return ChannelBody.parse(response.body).id;
}

const PostBody = z.object({
  id: z.string(),
  channel_id: z.string(),
  root_id: z.string().default(''),
  message: z.string().default(''),
  create_at: z.number(),
  user_id: z.string().optional(),
});

export const Post = z.object({
  id: z.string().describe('The post id.'),
  channelId: z.string().describe('The channel it is in.'),
  rootId: z.string().describe('The thread’s first post ("" for a post that starts a thread).'),
  message: z.string().describe('The text as stored.'),
  createdAt: z.string().describe('When it was posted (ISO 8601).'),
});
export type Post = z.infer<typeof Post>;

export function toPost(raw: unknown): Post {
  const post = PostBody.parse(raw);
  return {
    id: post.id,
    channelId: post.channel_id,
    rootId: post.root_id,
    message: post.message,
    createdAt: new Date(post.create_at).toISOString(),
  };
}

export const PostFields = {
  message: z
    .string()
    .min(1)
    .max(16_383)
    .describe('The text (Markdown), e.g. "Deploy of **v2.4** finished :white_check_mark:".'),
  props: z
    .record(z.string(), z.unknown())
    .optional()
    .describe(
      'Extra post props, e.g. { "attachments": [{ "color": "#36a64f", "text": "All green" }] } for a message attachment.',
    ),
};
