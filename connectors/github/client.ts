import { Octokit } from '@octokit/rest';
import { z } from 'zod';
import type { Logger } from '../../lib/index.ts';
import { ConnectorError, connectorErrorFromStatus } from '../sdk/connector-error.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';

export const GITHUB_API_URL = 'https://api.github.com';

export const GithubCredential = z.strictObject({
  token: z
    .string()
    .min(20, 'a GitHub token (ghp_…, github_pat_… or an app installation token)')
    .describe('A fine-grained or classic personal access token, or an installation token.'),
});
export type GithubCredential = z.infer<typeof GithubCredential>;

export type GithubClient = Octokit;

function toOctokitLog(logger: Logger) {
  return {
    debug: (message: string) => logger.debug({ github: message }),
    info: (message: string) => logger.debug({ github: message }),
    warn: (message: string) => logger.warn({ github: message }),
    error: (message: string) => logger.error({ github: message }),
  };
}

/**
 * Octokit pointed at `env.baseUrls.github` (tests) or api.github.com, sending through `env.fetch` with the
 * step's signal. @octokit/rest ships without the retry and throttling plugins, so the engine owns retries.
 */
export function createGithubClient(options: {
  credential: GithubCredential | undefined;
  env: ConnectorEnvironment;
  signal?: AbortSignal;
}): GithubClient {
  const { env } = options;
  return new Octokit({
    ...(options.credential ? { auth: options.credential.token } : {}),
    baseUrl: (env.baseUrls.github ?? GITHUB_API_URL).replace(/\/$/, ''),
    userAgent: 'velocitymesh',
    log: toOctokitLog(env.logger),
    request: { fetch: env.fetch, ...(options.signal ? { signal: options.signal } : {}) },
  });
}

const OctokitHttpError = z.object({
  status: z.number().int(),
  message: z.string(),
  response: z
    .object({
      headers: z.record(z.string(), z.unknown()).default({}),
      data: z.unknown(),
    })
    .optional(),
});

const GithubErrorBody = z.object({
  message: z.string().optional(),
  documentation_url: z.string().optional(),
  errors: z
    .array(
      z.union([
        z.object({
          resource: z.string().optional(),
          field: z.string().optional(),
          code: z.string().optional(),
          message: z.string().optional(),
        }),
        z.string(),
      ]),
    )
    .optional(),
});

function describeValidation(body: z.infer<typeof GithubErrorBody>): string {
  const parts = (body.errors ?? []).map((item) => {
    if (typeof item === 'string') return item;
    if (item.message) return item.message;
    const field = item.field ? `field "${item.field}"` : 'a field';
    return `${field} is ${(item.code ?? 'invalid').replaceAll('_', ' ')}`;
  });
  return [body.message ?? 'Validation Failed', ...parts].join('; ');
}

const header = (headers: Record<string, unknown>, name: string) => {
  const value = headers[name];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
};

/** Maps Octokit's HttpError to ConnectorError; anything else (network, abort) is returned as it is. */
export function toGithubError(error: unknown, operation: string): unknown {
  if (!(error instanceof Error) || error.name !== 'HttpError') return error;
  const parsed = OctokitHttpError.safeParse(error);
  if (!parsed.success) return error;
  const { status } = parsed.data;
  const headers = parsed.data.response?.headers ?? {};
  const body = GithubErrorBody.safeParse(parsed.data.response?.data);
  const details = body.success ? describeValidation(body.data) : parsed.data.message;
  const remaining = header(headers, 'x-ratelimit-remaining');
  const retryAfter = header(headers, 'retry-after');
  if ((status === 403 || status === 429) && (remaining === '0' || retryAfter !== undefined)) {
    const reset = Number(header(headers, 'x-ratelimit-reset'));
    const retryAfterMs =
      retryAfter !== undefined
        ? Number(retryAfter) * 1000
        : Number.isFinite(reset)
          ? Math.max(0, reset * 1000 - Date.now())
          : undefined;
    return new ConnectorError({
      code: 'E_RATE_LIMITED',
      message: `github ${operation} was rate limited: ${details} (HTTP ${status})`,
      retryable: true,
      status,
      retryAfterMs,
      hint: 'GitHub is rate limiting this token; the step is retried after the reset time. Fewer calls or a GitHub App token raise the limit.',
      cause: error,
    });
  }
  const hint =
    status === 422
      ? 'Change the fields GitHub names in the message (labels and assignees must exist and be assignable in the repository).'
      : status === 404
        ? 'Check owner, repo and the issue number; GitHub also answers 404 when the token cannot see a private repository.'
        : status === 401
          ? 'The GitHub token is invalid or expired: store a new one with `vmesh credentials set NAME --type github`.'
          : status === 403
            ? 'The token lacks a permission: a fine-grained token needs "Issues: read and write" on this repository.'
            : status === 410
              ? 'Issues are disabled in this repository.'
              : undefined;
  return connectorErrorFromStatus({
    connector: 'github',
    status,
    message: `${operation} failed: ${details}`,
    retryAfter: retryAfter ?? null,
    ...(hint ? { hint } : {}),
    details: body.success && body.data.errors ? { errors: body.data.errors } : {},
    cause: error,
  });
}

export async function callGithub<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toGithubError(error, operation);
  }
}

/** An invisible marker appended to bodies VelocityMesh writes, so a retry can find an earlier success. */
export function idempotencyMarker(idempotencyKey: string): string {
  return `<!-- vmesh-step: ${idempotencyKey.replaceAll('--', '- -')} -->`;
}

export function withMarker(body: string | undefined, idempotencyKey: string): string {
  return `${body ?? ''}\n\n${idempotencyMarker(idempotencyKey)}`.trimStart();
}

export const RepoRef = {
  owner: z
    .string()
    .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, 'a GitHub user or organisation name')
    .describe('Repository owner (user or organisation), e.g. "octocat".'),
  repo: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/, 'a repository name')
    .describe('Repository name without the owner, e.g. "hello-world".'),
};
