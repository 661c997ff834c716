import { z } from 'zod';
import { type AuthRequest, type BoundAuth, changedHeaderNames } from '../sdk/auth/index.ts';
import { connectorErrorFromStatus } from '../sdk/connector-error.ts';
import { connectorKit } from '../sdk/connector-kit.ts';
import type { ActionDefinition, ConnectorEnvironment } from '../sdk/define.ts';
import type { SafeRequestInit } from '../sdk/safe-fetch.ts';
import type { ImportedOperation } from './imported-operation.ts';

export type OpenApiClient = {
  fetch: typeof fetch;
  baseUrl: string;
  /** The node's credential bound to its auth style (undefined without one). */
  auth: BoundAuth | undefined;
};

export function createOpenApiClient(
  connectorId: string,
  baseUrl: string,
  options: { credential: BoundAuth | undefined; env: ConnectorEnvironment },
): OpenApiClient {
  return {
    fetch: options.env.fetch,
    baseUrl: options.env.baseUrls[connectorId] ?? baseUrl,
    auth: options.credential,
  };
}

export const OperationOutput = z.strictObject({
  status: z.number().int().describe('HTTP status of the answer.'),
  headers: z.record(z.string(), z.string()).describe('Response headers (lower-case names).'),
  body: z.unknown().describe('Parsed JSON when the answer is JSON, else its text; null when empty.'),
});

const toText = (value: unknown): string =>
  typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);

function appendQuery(
  params: URLSearchParams,
  name: string,
  value: unknown,
  style: string,
  explode: boolean,
): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) {
    if (explode) for (const item of value) params.append(name, toText(item));
    else
      params.append(
        name,
        value.map(toText).join(style === 'pipeDelimited' ? '|' : style === 'spaceDelimited' ? ' ' : ','),
      );
    return;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (style === 'deepObject')
      for (const [key, inner] of entries) params.append(`${name}[${key}]`, toText(inner));
    else if (explode) for (const [key, inner] of entries) params.append(key, toText(inner));
    else params.append(name, entries.flatMap(([key, inner]) => [key, toText(inner)]).join(','));
    return;
  }
  params.append(name, toText(value));
}

/** Builds the request for one operation from the node's `with` (before the credential is applied). */
export function buildRequest(
  operation: ImportedOperation,
  input: Record<string, unknown>,
  client: Pick<OpenApiClient, 'baseUrl'>,
): AuthRequest {
  let path = operation.path;
  const headers = new Headers({ accept: 'application/json, */*;q=0.5' });
  const query = new URLSearchParams();
  for (const parameter of operation.parameters) {
    const value = input[parameter.key];
    if (value === undefined) continue;
    if (parameter.in === 'path') {
      const text = Array.isArray(value) ? value.map(toText).join(',') : toText(value);
      path = path.replaceAll(`{${parameter.name}}`, encodeURIComponent(text));
    } else if (parameter.in === 'query') {
      appendQuery(query, parameter.name, value, parameter.style ?? 'form', parameter.explode ?? true);
    } else {
      headers.set(parameter.name, toText(value));
    }
  }
  const url = new URL(`${client.baseUrl.replace(/\/+$/, '')}${path}`);
  for (const [name, value] of query) url.searchParams.append(name, value);
  let body: string | undefined;
  const bodyValue = operation.body ? input[operation.body.key] : undefined;
  if (operation.body && bodyValue !== undefined) {
    headers.set('content-type', operation.body.mediaType);
    if (operation.body.kind === 'json') body = JSON.stringify(bodyValue);
    else if (operation.body.kind === 'form') {
      const form = new URLSearchParams();
      for (const [key, value] of Object.entries((bodyValue ?? {}) as Record<string, unknown>)) {
        if (value !== undefined && value !== null) form.append(key, toText(value));
      }
      body = form.toString();
    } else body = toText(bodyValue);
  }
  return {
    method: operation.method.toUpperCase(),
    url,
    headers,
    body: body === undefined ? undefined : Buffer.from(body),
  };
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text.length === 0) return null;
  if (/[/+]json\b/i.test(response.headers.get('content-type') ?? '')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

const { action } = connectorKit<BoundAuth, OpenApiClient>();

/** The action that calls one operation through `ctx.client.fetch` (the guarded fetch in production). */
export function createOperationAction(
  connectorId: string,
  operation: ImportedOperation,
  input: z.ZodType,
): ActionDefinition<z.ZodType, typeof OperationOutput, BoundAuth, OpenApiClient> {
  const summary = operation.summary ?? `${operation.method.toUpperCase()} ${operation.path}`;
  const description = `${summary}${operation.description && operation.description !== summary ? `. ${operation.description}` : ''} (${operation.method.toUpperCase()} ${operation.path})`;
  return action({
    key: operation.key,
    title: summary.slice(0, 120),
    description: description.length > 300 ? `${description.slice(0, 297)}...` : description,
    effect: operation.effect,
    idempotent: operation.idempotent,
    input,
    output: OperationOutput,
    async run(values, ctx) {
      const unsigned = buildRequest(operation, values as Record<string, unknown>, ctx.client);
      const authContext = {
        fetch: ctx.client.fetch,
        signal: ctx.signal,
        now: new Date(),
        tokens: ctx.env.tokens,
      };
      const send = (signed: typeof unsigned) => {
        const init: SafeRequestInit = {
          method: signed.method,
          headers: signed.headers,
          body: signed.body,
          signal: ctx.signal,
          credentialHeaders: changedHeaderNames(unsigned.headers, signed.headers),
        };
        return ctx.client.fetch(signed.url, init);
      };
      const sent = ctx.client.auth ? await ctx.client.auth.apply(unsigned, authContext) : unsigned;
      let response = await send(sent);
      // An oauth2 token the API refuses is renewed once (another worker may have renewed it already).
      if (response.status === 401 && ctx.client.auth?.renew) {
        const again = await ctx.client.auth.renew(unsigned, sent, authContext);
        if (again) {
          await response.body?.cancel();
          response = await send(again);
        }
      }
      const body = await readBody(response);
      if (!response.ok) {
        const snippet = (typeof body === 'string' ? body : JSON.stringify(body ?? '')).slice(0, 500);
        throw connectorErrorFromStatus({
          connector: connectorId,
          status: response.status,
          message: `${operation.method.toUpperCase()} ${operation.path} failed: ${snippet}`,
          retryAfter: response.headers.get('retry-after'),
          headers: response.headers,
          details: { operation: operation.key },
        });
      }
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        headers[name] = value;
      });
      return { status: response.status, headers, body };
    },
  });
}
