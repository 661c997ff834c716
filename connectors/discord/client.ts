import { createHash } from 'node:crypto';
import { DiscordAPIError, HTTPError, RateLimitError, REST, type ResponseLike } from '@discordjs/rest';
import { z } from 'zod';
import { ConnectorError, connectorErrorFromStatus } from '../sdk/connector-error.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';

export const DISCORD_URL = 'https://discord.com';
/** A message with files may take longer than a plain call; the step's own timeout still applies. */
const DISCORD_TRANSFER_TIMEOUT_MS = 300_000;
/** Discord's limit on a message's content. */
export const DISCORD_MAX_CONTENT = 2000;

const WEBHOOK_URL =
  /^https:\/\/(?:(?:ptb|canary)\.)?discord(?:app)?\.com\/api(?:\/v\d+)?\/webhooks\/(\d{17,20})\/([A-Za-z0-9_-]{20,})\/?$/;

export const DiscordWebhookUrl = z
  .string()
  .regex(WEBHOOK_URL, 'a Discord webhook URL like https://discord.com/api/webhooks/<id>/<token>');

export const DiscordCredential = z
  .strictObject({
    botToken: z
      .string()
      .min(20)
      .optional()
      .describe('Bot token from the Discord developer portal (Bot → Reset Token).'),
    webhookUrl: DiscordWebhookUrl.optional().describe(
      'A channel webhook URL (Channel settings → Integrations → Webhooks).',
    ),
  })
  .refine((value) => value.botToken !== undefined || value.webhookUrl !== undefined, {
    message: 'give botToken, webhookUrl or both',
  });
export type DiscordCredential = z.infer<typeof DiscordCredential>;

export type DiscordClient = {
  /** REST with the bot token (undefined without one). */
  bot: REST | undefined;
  /** REST without authorization, for webhook executions (the token is in the URL). */
  webhooks: REST;
  credential: DiscordCredential | undefined;
};

function createRest(env: ConnectorEnvironment): REST {
  return new REST({
    api: `${(env.baseUrls.discord ?? DISCORD_URL).replace(/\/$/, '')}/api`,
    version: '10',
    retries: 0,
    rejectOnRateLimit: () => true,
    hashSweepInterval: 0,
    handlerSweepInterval: 0,
    // The DOM Response and discord.js's ResponseLike differ only in their stream typings; at run time both are undici's.
    makeRequest: async (url, init) => {
      // A message with files streams its multipart body from the run's store: half duplex, and a transfer's time.
      const streamed = init.body instanceof ReadableStream;
      const request = streamed
        ? { ...init, duplex: 'half', timeoutMs: DISCORD_TRANSFER_TIMEOUT_MS, redirect: 'error' }
        : init;
      return (await env.fetch(url, request as RequestInit)) as unknown as ResponseLike;
    },
  });
}

/**
 * discord.js's REST client (from @discordjs/rest) pointed at `env.baseUrls.discord` (tests) or discord.com,
 * sending through `env.fetch`. Retries are off and rate limits reject instead of waiting: the engine owns both.
 */
export function createDiscordClient(options: {
  credential: DiscordCredential | undefined;
  env: ConnectorEnvironment;
}): DiscordClient {
  const bot = options.credential?.botToken
    ? createRest(options.env).setToken(options.credential.botToken)
    : undefined;
  return { bot, webhooks: createRest(options.env), credential: options.credential };
}

export function parseWebhookUrl(url: string): { id: string; token: string } | undefined {
  const match = WEBHOOK_URL.exec(url);
  return match?.[1] && match[2] ? { id: match[1], token: match[2] } : undefined;
}

/** A Discord nonce (≤ 25 characters) derived from the step's idempotency key and the message part. */
export function discordNonce(idempotencyKey: string, part = 0): string {
  return createHash('sha256').update(`${idempotencyKey}#${part}`).digest('base64url').slice(0, 25);
}

/** Splits text into pieces of at most `max` characters, preferring line breaks, then spaces. */
export function splitContent(text: string, max = DISCORD_MAX_CONTENT): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const window = rest.slice(0, max);
    let cut = window.lastIndexOf('\n');
    if (cut < max / 2) cut = window.lastIndexOf(' ');
    if (cut < max / 2) cut = max;
    parts.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^[\n ]/, '');
  }
  if (rest.length > 0 || parts.length === 0) parts.push(rest);
  return parts;
}

/** Builds the message parts to send, or an E_PARAMS error when content is too long and split is off. */
export function contentParts(
  content: string | undefined,
  split: boolean,
  where: string,
): (string | undefined)[] {
  if (content === undefined || content.length <= DISCORD_MAX_CONTENT) return [content];
  if (!split) {
    throw new ConnectorError({
      code: 'E_PARAMS',
      message: `${where}: content is ${content.length} characters; Discord allows at most ${DISCORD_MAX_CONTENT}.`,
      retryable: false,
      hint: 'Shorten the content (e.g. summarise it), or set `split: true` to send it as several messages.',
    });
  }
  return splitContent(content);
}

const DiscordErrorBody = z.object({
  code: z.union([z.number(), z.string()]).optional(),
  message: z.string().optional(),
  errors: z.unknown().optional(),
});

/** Flattens Discord's nested `errors` object ({ content: { _errors: [{ message }] } }) into `field: message` lines. */
function flattenFieldErrors(errors: unknown, path: string[] = []): string[] {
  if (!errors || typeof errors !== 'object') return [];
  const out: string[] = [];
  for (const [key, value] of Object.entries(errors)) {
    if (key === '_errors' && Array.isArray(value)) {
      for (const item of value) {
        const message = (item as { message?: unknown }).message;
        out.push(`${path.join('.') || '(body)'}: ${typeof message === 'string' ? message : 'invalid'}`);
      }
    } else out.push(...flattenFieldErrors(value, [...path, key]));
  }
  return out;
}

const CODE_HINTS: Record<number, { code: string; hint: string }> = {
  10003: {
    code: 'E_NOT_FOUND',
    hint: 'Check channelId: copy it with Developer Mode on (right-click the channel → Copy Channel ID).',
  },
  10015: {
    code: 'E_NOT_FOUND',
    hint: 'The webhook was deleted or the URL is wrong; create a new webhook and store its URL.',
  },
  50001: {
    code: 'E_AUTH',
    hint: 'The bot cannot see this channel: invite it to the server and give it View Channel there.',
  },
  50013: {
    code: 'E_AUTH',
    hint: 'The bot lacks a permission here (Send Messages, Embed Links); grant it in the channel settings.',
  },
  50006: { code: 'E_REQUEST', hint: 'Give non-empty `content`, at least one embed, or files.' },
  40005: {
    code: 'E_FILE_TOO_LARGE',
    hint: "A file is over this server's upload limit: send a smaller file, or share a link to it instead.",
  },
  50035: {
    code: 'E_REQUEST',
    hint: 'Fix the fields named in the message (content ≤ 2000 characters, at most 10 embeds).',
  },
};

/** Maps @discordjs/rest errors to ConnectorError; anything else (network, abort) is returned as it is. */
export function toDiscordError(error: unknown, operation: string): unknown {
  if (error instanceof RateLimitError) {
    return new ConnectorError({
      code: 'E_RATE_LIMITED',
      message: `discord ${operation} was rate limited${error.global ? ' (global limit)' : ''}; retry after ${Math.ceil(error.retryAfter)} ms.`,
      retryable: true,
      status: 429,
      retryAfterMs: Math.max(error.retryAfter, error.timeToReset > 0 ? error.timeToReset : 0),
      hint: 'Discord is rate limiting this bot or webhook; the step is retried after the wait Discord asked for.',
      cause: error,
    });
  }
  if (error instanceof DiscordAPIError) {
    const body = DiscordErrorBody.safeParse(error.rawError);
    const fields = body.success ? flattenFieldErrors(body.data.errors) : [];
    const numeric = typeof error.code === 'number' ? error.code : Number(error.code);
    const known = CODE_HINTS[numeric];
    const message = `${operation} failed: ${error.message}${fields.length > 0 ? ` (${fields.join('; ')})` : ''} [Discord code ${error.code}]`;
    if (error.status === 401) {
      return connectorErrorFromStatus({
        connector: 'discord',
        status: 401,
        message,
        hint: 'The bot token is invalid or was reset: store the current one with `vmesh credentials set NAME --type discord`.',
        cause: error,
      });
    }
    const mapped = connectorErrorFromStatus({
      connector: 'discord',
      status: error.status,
      message,
      cause: error,
      details: { discordCode: error.code },
    });
    if (!known) return mapped;
    return new ConnectorError({
      code: known.code,
      message: mapped.message,
      retryable: mapped.retryable,
      status: error.status,
      hint: known.hint,
      details: { discordCode: error.code },
      cause: error,
    });
  }
  if (error instanceof HTTPError) {
    return connectorErrorFromStatus({
      connector: 'discord',
      status: error.status,
      message: `${operation} failed`,
      cause: error,
    });
  }
  return error;
}

export async function callDiscord<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toDiscordError(error, operation);
  }
}

/** The `allowed_mentions` Discord needs for a mentions policy. */
export function allowedMentions(policy: 'none' | 'users' | 'all') {
  return {
    parse: policy === 'none' ? [] : policy === 'users' ? ['users', 'roles'] : ['users', 'roles', 'everyone'],
  };
}

export const MessageResult = z.object({
  id: z.string(),
  channel_id: z.string(),
  attachments: z
    .array(z.object({ id: z.string(), filename: z.string(), size: z.number(), url: z.string() }))
    .optional()
    .catch(undefined),
});
