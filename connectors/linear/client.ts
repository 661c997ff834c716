import { z } from 'zod';
import { type BoundAuth, bindAuth } from '../sdk/auth/auth-style.ts';
import { type OAuth2Credential, oauth2Style } from '../sdk/auth/oauth2.ts';
import { retryAfterFromHeaders } from '../sdk/connector-error.ts';
import {
  type GraphqlApi,
  type GraphqlError,
  graphqlErrorsOf,
  type RestApi,
  type VendorError,
} from '../sdk/rest/index.ts';

export const LINEAR_API_URL = 'https://api.linear.app';

export const LinearCredential = z
  .strictObject({
    apiKey: z
      .string()
      .regex(/^lin_api_[A-Za-z0-9]{20,80}$/, 'a Linear personal API key (lin_api_…)')
      .optional()
      .describe('A personal API key from Linear → Settings → Security & access → API keys (lin_api_…).'),
    accessToken: z
      .string()
      .min(16)
      .max(4096)
      .optional()
      .describe('Or: an OAuth2 access token of a Linear app (sent as Bearer).'),
  })
  .refine((credential) => Boolean(credential.apiKey) !== Boolean(credential.accessToken), {
    message: 'Give either apiKey or accessToken.',
  });
export type LinearCredential = z.infer<typeof LinearCredential>;

/** What the client gets: a `linear` credential, or an `oauth2` one connected with the linear provider. */
export type LinearClientCredential = LinearCredential | { oauth2: OAuth2Credential };

/** Linear takes a personal API key as the whole Authorization value (no scheme), an OAuth token as Bearer. */
export function authorizationOf(credential: LinearCredential): string {
  return credential.apiKey ?? `Bearer ${credential.accessToken ?? ''}`;
}

function linearAuth(credential: LinearClientCredential): BoundAuth {
  // An oauth2 credential renews its token (before it expires, and once on a 401) through the engine.
  if ('oauth2' in credential) return bindAuth(oauth2Style, credential.oauth2);
  return {
    type: 'linear',
    async apply(request) {
      const headers = new Headers(request.headers);
      headers.set('authorization', authorizationOf(credential));
      return { ...request, headers };
    },
  };
}

/** Linear's `X-RateLimit-Requests-Reset` is a Unix time in milliseconds. */
function linearWait(headers: Headers, now = Date.now()): number | undefined {
  const reset = Number(headers.get('x-ratelimit-requests-reset') ?? Number.NaN);
  if (Number.isFinite(reset) && reset > now) return reset - now;
  return retryAfterFromHeaders(headers, now);
}

const CODES: Record<string, { code: string; retryable: boolean; hint: string }> = {
  RATELIMITED: {
    code: 'E_RATE_LIMITED',
    retryable: true,
    hint: 'Linear’s request or complexity budget is spent for now; the step is retried when it resets.',
  },
  AUTHENTICATION_ERROR: {
    code: 'E_AUTH',
    retryable: false,
    hint: 'Linear refused the API key (revoked or mistyped): create one in Linear → Settings → Security & access → API keys and store it with `vmesh credentials set NAME --type linear`.',
  },
  FORBIDDEN: {
    code: 'E_AUTH',
    retryable: false,
    hint: 'The key’s user (or the OAuth app’s scopes) may not do this in that team: check team membership or ask for the write scope.',
  },
  INVALID_INPUT: {
    code: 'E_REQUEST',
    retryable: false,
    hint: 'Change the value the message names (ids are UUIDs from Linear, e.g. the team’s id from its settings).',
  },
  GRAPHQL_VALIDATION_FAILED: {
    code: 'E_REQUEST',
    retryable: false,
    hint: 'The request does not match Linear’s schema; report it, this is a connector bug.',
  },
  INTERNAL_SERVER_ERROR: {
    code: 'E_UPSTREAM',
    retryable: true,
    hint: 'Linear failed internally; retried with backoff.',
  },
};

/** Linear's `errors[]`: `extensions.code` says the kind, `extensions.userPresentableMessage` the readable reason. */
export function linearErrors(errors: readonly GraphqlError[], headers: Headers): VendorError {
  const first = errors[0];
  const vendorCode = typeof first?.extensions?.code === 'string' ? first.extensions.code : undefined;
  const readable = first?.extensions?.userPresentableMessage;
  const message = typeof readable === 'string' ? readable : (first?.message ?? 'Linear refused the request');
  const known = vendorCode ? CODES[vendorCode] : undefined;
  const notFound = /entity not found|could not find/i.test(`${first?.message ?? ''} ${message}`);
  const wait = vendorCode === 'RATELIMITED' ? linearWait(headers) : undefined;
  return {
    message,
    vendorCode,
    // "Entity not found" comes as INVALID_INPUT; it is a missing id, not a bad value.
    ...(notFound && known?.code === 'E_REQUEST'
      ? {
          code: 'E_NOT_FOUND',
          retryable: false,
          hint: 'Check the id: no such issue, team, user or state in this workspace.',
        }
      : known
        ? { code: known.code, retryable: known.retryable, hint: known.hint }
        : notFound
          ? {
              code: 'E_NOT_FOUND',
              retryable: false,
              hint: 'Check the id: no such issue, team, user or state in this workspace.',
            }
          : {}),
    ...(wait === undefined ? {} : { retryAfterMs: wait }),
  };
}

export const linearGraphql: GraphqlApi = { connector: 'linear', path: '/graphql', mapErrors: linearErrors };

export const linearApi: RestApi<LinearClientCredential> = {
  connector: 'linear',
  baseUrl: LINEAR_API_URL,
  auth: linearAuth,
  vendorError(body, _status, headers) {
    const errors = graphqlErrorsOf(body);
    return errors.length > 0 ? linearErrors(errors, headers) : undefined;
  },
  hints: {
    401: 'Linear refused the credential: create a new API key in Linear → Settings → Security & access and store it with `vmesh credentials set NAME --type linear`.',
  },
};

export const IssueFields = `id identifier title description url priority priorityLabel createdAt updatedAt
  state { name } team { key } assignee { name } labels { nodes { name } }`;

const RawIssue = z.object({
  id: z.string(),
  identifier: z.string(),
  title: z.string(),
  description: z.string().nullable().optional(),
  url: z.string(),
  priority: z.number().optional(),
  priorityLabel: z.string().optional(),
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
  state: z.object({ name: z.string() }).nullable().optional(),
  team: z.object({ key: z.string() }).nullable().optional(),
  assignee: z.object({ name: z.string() }).nullable().optional(),
  labels: z.object({ nodes: z.array(z.object({ name: z.string() })).max(250) }).optional(),
});

export const Issue = z.object({
  id: z.string().describe('Linear’s issue id (UUID).'),
  identifier: z.string().describe('The readable id, e.g. "ENG-123".'),
  title: z.string().describe('Title.'),
  description: z.string().describe('Description (Markdown).'),
  url: z.string().describe('Link to the issue in Linear.'),
  priority: z.number().int().describe('0 none, 1 urgent, 2 high, 3 medium, 4 low.'),
  state: z.string().nullable().describe('Workflow state name, e.g. "Todo".'),
  team: z.string().nullable().describe('Team key, e.g. "ENG".'),
  assignee: z.string().nullable().describe('Assignee name, or null.'),
  labels: z.array(z.string()).describe('Label names.'),
});
export type Issue = z.infer<typeof Issue>;

export function toIssue(raw: unknown): Issue {
  const issue = RawIssue.parse(raw);
  return {
    id: issue.id,
    identifier: issue.identifier,
    title: issue.title,
    description: issue.description ?? '',
    url: issue.url,
    priority: Math.round(issue.priority ?? 0),
    state: issue.state?.name ?? null,
    team: issue.team?.key ?? null,
    assignee: issue.assignee?.name ?? null,
    labels: issue.labels?.nodes.map((label) => label.name) ?? [],
  };
}

export const Id = (what: string, example: string) =>
  z
    .string()
    .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, `a Linear ${what} id (UUID)`)
    .describe(`The ${what}’s id (UUID), e.g. "${example}".`);

export const IssueRef = z
  .string()
  .regex(
    /^([A-Z][A-Z0-9]{0,9}-\d{1,9}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i,
    'an issue identifier such as "ENG-123" or its UUID',
  )
  .describe('The issue: its identifier, e.g. "ENG-123", or its UUID.');

export const Priority = z.number().int().min(0).max(4).describe('0 none, 1 urgent, 2 high, 3 medium, 4 low.');
