import {
  LogLevel,
  type Logger as SlackLogger,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebClient,
} from '@slack/web-api';
import { z } from 'zod';
import type { Logger } from '../../lib/index.ts';
import { ConnectorError, connectorErrorFromStatus } from '../sdk/connector-error.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';

export const SLACK_API_URL = 'https://slack.com/api/';

export const SlackCredential = z.strictObject({
  token: z
    .string()
    .regex(/^xox[bp]-/, 'a Slack bot token (xoxb-…) or user token (xoxp-…)')
    .describe('Bot token (xoxb-…) of the Slack app installed in the workspace.'),
});
export type SlackCredential = z.infer<typeof SlackCredential>;

export type SlackClient = WebClient;

function toSlackLogger(logger: Logger): SlackLogger {
  return {
    debug: (...msg: unknown[]) => logger.debug({ slack: msg }),
    info: (...msg: unknown[]) => logger.debug({ slack: msg }),
    warn: (...msg: unknown[]) => logger.warn({ slack: msg }),
    error: (...msg: unknown[]) => logger.error({ slack: msg }),
    setLevel: () => {},
    getLevel: () => LogLevel.WARN,
    setName: () => {},
  };
}

/**
 * The official WebClient, pointed at `env.baseUrls.slack` (tests) or slack.com, sending through `env.fetch`
 * and the step's signal. Its own retries are off: the engine owns retries; 429s are rejected, not waited on.
 */
export function createSlackClient(options: {
  credential: SlackCredential | undefined;
  env: ConnectorEnvironment;
  signal?: AbortSignal;
}): SlackClient {
  const { env, signal } = options;
  return new WebClient(options.credential?.token, {
    slackApiUrl: env.baseUrls.slack ?? SLACK_API_URL,
    allowAbsoluteUrls: false,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logger: toSlackLogger(env.logger),
    fetch: (url, init) =>
      env.fetch(url, {
        ...init,
        signal: signal && init?.signal ? AbortSignal.any([signal, init.signal]) : (signal ?? init?.signal),
      }),
  });
}

type SlackErrorInfo = { code: string; retryable: boolean; hint: string };

const AUTH_HINT =
  'Re-store the slack credential with a valid bot token: `vmesh credentials set NAME --type slack`.';

const PLATFORM_ERRORS: Record<string, SlackErrorInfo> = {
  channel_not_found: {
    code: 'E_NOT_FOUND',
    retryable: false,
    hint: 'Use the channel ID (C…, from the channel\'s "About" tab) or an exact #name; for a private channel invite the app first.',
  },
  not_in_channel: {
    code: 'E_AUTH',
    retryable: false,
    hint: 'Invite the app to the channel (`/invite @YourApp`) or add the chat:write.public scope.',
  },
  is_archived: {
    code: 'E_REQUEST',
    retryable: false,
    hint: 'The channel is archived: unarchive it or pick another channel.',
  },
  invalid_auth: { code: 'E_AUTH', retryable: false, hint: AUTH_HINT },
  not_authed: { code: 'E_AUTH', retryable: false, hint: AUTH_HINT },
  token_revoked: { code: 'E_AUTH', retryable: false, hint: AUTH_HINT },
  token_expired: { code: 'E_AUTH', retryable: false, hint: AUTH_HINT },
  account_inactive: { code: 'E_AUTH', retryable: false, hint: AUTH_HINT },
  missing_scope: {
    code: 'E_AUTH',
    retryable: false,
    hint: 'Add the scope Slack names as `needed` to the app (OAuth & Permissions), reinstall it, and store the new token.',
  },
  users_not_found: {
    code: 'E_NOT_FOUND',
    retryable: false,
    hint: 'No Slack user has that email address (or the app lacks users:read.email); check the address.',
  },
  message_not_found: {
    code: 'E_NOT_FOUND',
    retryable: false,
    hint: 'Check the message timestamp (ts) and channel.',
  },
  thread_not_found: {
    code: 'E_NOT_FOUND',
    retryable: false,
    hint: 'Check threadTs: it must be the ts of the parent message.',
  },
  invalid_name: {
    code: 'E_REQUEST',
    retryable: false,
    hint: 'Give an emoji name without colons, e.g. "eyes" or "white_check_mark".',
  },
  too_many_reactions: {
    code: 'E_REQUEST',
    retryable: false,
    hint: 'The message has too many reactions already.',
  },
  msg_too_long: {
    code: 'E_REQUEST',
    retryable: false,
    hint: 'Shorten the text (Slack truncates above 40,000 characters).',
  },
  no_text: {
    code: 'E_REQUEST',
    retryable: false,
    hint: 'Give `text` (it is also the notification fallback for blocks).',
  },
  invalid_blocks: {
    code: 'E_REQUEST',
    retryable: false,
    hint: "Check `blocks` against Slack's Block Kit reference.",
  },
  file_not_found: {
    code: 'E_NOT_FOUND',
    retryable: false,
    hint: 'No such Slack file (or the app cannot see it): check `fileId`, and that the file was shared where the app is a member.',
  },
  file_deleted: {
    code: 'E_NOT_FOUND',
    retryable: false,
    hint: 'The Slack file was deleted.',
  },
  file_upload_size_restricted: {
    code: 'E_FILE_TOO_LARGE',
    retryable: false,
    hint: 'The workspace restricts uploads of large files: send a smaller file, or ask a Slack admin to lift the limit.',
  },
  file_uploads_disabled: {
    code: 'E_AUTH',
    retryable: false,
    hint: 'The workspace has disabled file uploads; a Slack admin can turn them back on.',
  },
  invalid_arguments: {
    code: 'E_REQUEST',
    retryable: false,
    hint: 'Check the file name and the other parameters against the action’s documentation.',
  },
  invalid_channel: {
    code: 'E_NOT_FOUND',
    retryable: false,
    hint: 'Use the channel ID (C…, from the channel\'s "About" tab); file uploads take IDs, not #names.',
  },
  ratelimited: {
    code: 'E_RATE_LIMITED',
    retryable: true,
    hint: 'Slack is rate limiting this app; the step is retried later.',
  },
  internal_error: {
    code: 'E_UPSTREAM',
    retryable: true,
    hint: 'A temporary Slack failure; the step is retried.',
  },
  fatal_error: {
    code: 'E_UPSTREAM',
    retryable: true,
    hint: 'A temporary Slack failure; the step is retried.',
  },
  service_unavailable: {
    code: 'E_UPSTREAM',
    retryable: true,
    hint: 'A temporary Slack failure; the step is retried.',
  },
  request_timeout: {
    code: 'E_UPSTREAM',
    retryable: true,
    hint: 'A temporary Slack failure; the step is retried.',
  },
};

/** Maps the WebClient's errors to ConnectorError; anything else (network, abort) is rethrown for invokeAction. */
export function toSlackError(error: unknown, method: string): unknown {
  if (error instanceof WebAPIPlatformError) {
    const slackCode = error.data.error;
    const info = PLATFORM_ERRORS[slackCode];
    const needed = (error.data as { needed?: unknown }).needed;
    return new ConnectorError({
      code: info?.code ?? 'E_REQUEST',
      message: `slack ${method} failed: ${slackCode}${typeof needed === 'string' ? ` (needed scope: ${needed})` : ''}`,
      retryable: info?.retryable ?? false,
      hint: info?.hint ?? "Check the parameters against the Slack method's documentation.",
      details: { slackError: slackCode },
      cause: error,
    });
  }
  if (error instanceof WebAPIRateLimitedError) {
    return new ConnectorError({
      code: 'E_RATE_LIMITED',
      message: `slack ${method} was rate limited; retry after ${error.retryAfter} s.`,
      retryable: true,
      status: 429,
      retryAfterMs: error.retryAfter * 1000,
      hint: 'Slack is rate limiting this app; the step is retried after the wait Slack asked for.',
      cause: error,
    });
  }
  if (error instanceof WebAPIHTTPError) {
    return connectorErrorFromStatus({
      connector: 'slack',
      status: error.statusCode,
      message: `${method} answered HTTP ${error.statusCode}`,
      retryAfter: error.headers['retry-after'] ?? null,
      cause: error,
    });
  }
  return error;
}

/** Runs one WebClient call, mapping its failures. */
export async function callSlack<T>(method: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toSlackError(error, method);
  }
}

/** The metadata VelocityMesh attaches to messages it posts, so a retry can find an earlier success. */
export const VMESH_EVENT_TYPE = 'vmesh_step';

export function stepMetadata(idempotencyKey: string) {
  return { event_type: VMESH_EVENT_TYPE, event_payload: { idempotency_key: idempotencyKey } };
}

const MessageWithMetadata = z.object({
  ts: z.string(),
  metadata: z
    .object({ event_type: z.string(), event_payload: z.record(z.string(), z.unknown()).optional() })
    .optional(),
});

/** Finds the ts of a message in `messages` that carries this step's idempotency key. */
export function findStepMessage(messages: unknown, idempotencyKey: string): string | undefined {
  const list = z.array(z.unknown()).safeParse(messages);
  if (!list.success) return undefined;
  for (const item of list.data) {
    const message = MessageWithMetadata.safeParse(item);
    if (!message.success) continue;
    const metadata = message.data.metadata;
    if (
      metadata?.event_type === VMESH_EVENT_TYPE &&
      metadata.event_payload?.idempotency_key === idempotencyKey
    ) {
      return message.data.ts;
    }
  }
  return undefined;
}
