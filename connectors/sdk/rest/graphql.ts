import { z } from 'zod';
import { ConnectorError } from '../connector-error.ts';
import type { ActionDefinition } from '../define.ts';
import { restAction } from './rest-action.ts';
import type { RestClient, VendorError } from './rest-client.ts';

/** One entry of a GraphQL answer's `errors` (the spec's shape; `extensions` is the vendor's). */
export const GraphqlError = z
  .object({
    message: z.string().max(2000).default('GraphQL error'),
    path: z
      .array(z.union([z.string(), z.number()]))
      .max(50)
      .optional(),
    extensions: z.record(z.string(), z.unknown()).optional(),
  })
  .loose();
export type GraphqlError = z.infer<typeof GraphqlError>;

const GraphqlBody = z.object({
  data: z.unknown().optional(),
  errors: z.array(GraphqlError).max(100).optional(),
});

/** The `errors` of a GraphQL answer (none when the body is not GraphQL). */
export function graphqlErrorsOf(body: unknown): GraphqlError[] {
  const parsed = GraphqlBody.safeParse(body);
  return parsed.success ? (parsed.data.errors ?? []) : [];
}

/**
 * A GraphQL API over a REST client: where the endpoint is (a path under the connector's base URL) and how the
 * vendor's `errors[]` read. The same `mapErrors` serves a 200 that carries errors and a non-2xx (put it in the
 * RestApi's `vendorError` too, with graphqlErrorsOf).
 */
export type GraphqlApi = {
  connector: string;
  path: string;
  /** The vendor's errors as one failure: the code (RATELIMITED → E_RATE_LIMITED), message, hint, wait. */
  mapErrors(errors: readonly GraphqlError[], headers: Headers): VendorError;
};

type GraphqlActionFields<Input extends z.ZodType, Output extends z.ZodType, Credential> = Omit<
  ActionDefinition<Input, Output, Credential, RestClient>,
  'run'
> & {
  /** The operation's text, written literally (never built from input): `mutation IssueCreate($input: …) { … }`. */
  document: string;
  /** The operation's variables from the validated input. */
  variables(input: z.output<Input>): Record<string, unknown>;
  /** The answer's `data` (already free of errors) as the output's shape. */
  project(data: unknown, input: z.output<Input>): z.input<Output>;
};

/** The operation name of a document, for messages: `IssueCreate` of `mutation IssueCreate(…)`. */
function operationName(document: string): string {
  return /^\s*(?:query|mutation)\s+([A-Za-z_][A-Za-z0-9_]*)/.exec(document)?.[1] ?? 'GraphQL operation';
}

/** The ConnectorError for errors in a GraphQL answer that came with a 2xx status. */
export function graphqlFailure(
  api: GraphqlApi,
  operation: string,
  errors: readonly GraphqlError[],
  headers: Headers,
): ConnectorError {
  const vendor = api.mapErrors(errors, headers);
  return new ConnectorError({
    code: vendor.code ?? 'E_REQUEST',
    message: `${api.connector}: ${operation} failed: ${vendor.message ?? errors[0]?.message ?? 'GraphQL error'}`,
    retryable: vendor.retryable ?? false,
    ...(vendor.hint ? { hint: vendor.hint } : {}),
    ...(vendor.retryAfterMs === undefined ? {} : { retryAfterMs: vendor.retryAfterMs }),
    details: vendor.vendorCode ? { vendorCode: vendor.vendorCode } : {},
  });
}

/**
 * A declarative GraphQL action: one POST of `{ query, variables }`; a 200 whose body has `errors` fails through
 * `api.mapErrors`, otherwise `project` gets `data`. Non-2xx answers go the REST client's way (its vendorError).
 */
export function graphqlAction<Input extends z.ZodType, Output extends z.ZodType, Credential>(
  api: GraphqlApi,
  definition: GraphqlActionFields<Input, Output, Credential>,
): ActionDefinition<Input, Output, Credential, RestClient> {
  const { document, variables, project, ...action } = definition;
  const operation = operationName(document);
  return restAction<Input, Output, Credential>({
    ...action,
    http: {
      method: 'POST',
      path: api.path,
      json: (input) => ({ query: document, variables: variables(input) }),
    },
    project(response, input) {
      const errors = graphqlErrorsOf(response.body);
      if (errors.length > 0) throw graphqlFailure(api, operation, errors, response.headers);
      const body = GraphqlBody.safeParse(response.body);
      if (!body.success || body.data.data === undefined || body.data.data === null) {
        throw new ConnectorError({
          code: 'E_UPSTREAM',
          message: `${api.connector}: ${operation} answered without data.`,
          retryable: false,
          hint: `Check the ${api.connector} base URL: it must be the GraphQL endpoint.`,
        });
      }
      return project(body.data.data, input);
    },
  });
}
