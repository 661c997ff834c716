import { z } from 'zod';
import { type AuthRequest, changedHeaderNames, hasTokenPlaceholder } from '../../sdk/auth/index.ts';
import { ConnectorError, connectorErrorFromStatus } from '../../sdk/connector-error.ts';
import type { SafeRequestInit } from '../../sdk/safe-fetch.ts';
import { action } from '../kit.ts';

const NO_BODY_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const MAX_ERROR_SNIPPET = 300;

const QueryValue = z.union([z.string(), z.number(), z.boolean()]);

export const RequestInput = z.strictObject({
  method: z
    .enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'])
    .default('GET')
    .describe('HTTP method. Default GET.'),
  url: z
    .url({ protocol: /^https?$/ })
    .describe(
      'Absolute http(s) URL. Query parameters are better given in `query`. With a `url-token` credential, write `{token}` where the token goes (https://api.telegram.org/bot{token}/sendMessage): it is filled in only when the request is sent.',
    ),
  headers: z
    .record(z.string(), z.string())
    .optional()
    .describe(
      'Extra request headers. Put secrets in the node’s `credential` (bearer, basic, api-key-header, …), never here.',
    ),
  query: z
    .record(z.string(), z.union([QueryValue, z.array(QueryValue)]))
    .optional()
    .describe('Query parameters appended to the URL; an array repeats the parameter.'),
  body: z
    .unknown()
    .optional()
    .describe('Request body (not allowed for GET/HEAD/OPTIONS). Encoded as `bodyType` says.'),
  bodyType: z
    .enum(['json', 'text', 'form'])
    .default('json')
    .describe(
      'How `body` is sent: `json` (application/json), `text` (text/plain, body must be a string) or `form` (application/x-www-form-urlencoded, body must be a flat object). Default json.',
    ),
  timeoutMs: z
    .number()
    .int()
    .min(1)
    .max(300_000)
    .default(30_000)
    .describe('Abort the request after this many milliseconds. Default 30000.'),
  failOnStatus: z
    .boolean()
    .default(true)
    .describe(
      'When true (default) a non-2xx answer fails the step (429 and 5xx are retried); when false it is returned as output.',
    ),
  maxResponseBytes: z
    .number()
    .int()
    .min(1)
    .max(50_000_000)
    .default(5_000_000)
    .describe(
      'Fail when the response body is larger than this many bytes (default 5000000): step outputs are stored.',
    ),
  idempotencyHeader: z
    .boolean()
    .default(true)
    .describe(
      'When true (default) POST/PUT/PATCH/DELETE send an `Idempotency-Key` header that stays the same on every retry of the step.',
    ),
});
export type RequestInput = z.infer<typeof RequestInput>;

export const RequestOutput = z.object({
  status: z.number().int().describe('HTTP status code.'),
  headers: z.record(z.string(), z.string()).describe('Response headers, names in lower case.'),
  body: z.unknown().describe('Parsed JSON when the content-type is JSON, else the text (null when empty).'),
});
export type RequestOutput = z.infer<typeof RequestOutput>;

function buildUrl(url: string, query: RequestInput['query']): URL {
  const target = new URL(url);
  for (const [name, value] of Object.entries(query ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) target.searchParams.append(name, String(item));
  }
  return target;
}

function encodeBody(input: RequestInput): { body: string | undefined; contentType: string | undefined } {
  if (input.body === undefined) return { body: undefined, contentType: undefined };
  if (NO_BODY_METHODS.has(input.method)) {
    throw new ConnectorError({
      code: 'E_PARAMS',
      message: `http.request: a ${input.method} request cannot have a body.`,
      retryable: false,
      hint: 'Move the values into `query`, or use POST/PUT/PATCH.',
    });
  }
  switch (input.bodyType) {
    case 'json':
      return { body: JSON.stringify(input.body), contentType: 'application/json' };
    case 'text':
      if (typeof input.body !== 'string') {
        throw new ConnectorError({
          code: 'E_PARAMS',
          message: 'http.request: bodyType "text" needs `body` to be a string.',
          retryable: false,
          hint: 'Give a string body, or set bodyType to "json".',
        });
      }
      return { body: input.body, contentType: 'text/plain; charset=utf-8' };
    case 'form': {
      const flat = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).safeParse(input.body);
      if (!flat.success) {
        throw new ConnectorError({
          code: 'E_PARAMS',
          message:
            'http.request: bodyType "form" needs `body` to be a flat object of strings, numbers or booleans.',
          retryable: false,
          hint: 'Flatten the body, or set bodyType to "json".',
        });
      }
      const form = new URLSearchParams();
      for (const [name, value] of Object.entries(flat.data)) form.append(name, String(value));
      return { body: form.toString(), contentType: 'application/x-www-form-urlencoded' };
    }
  }
}

async function readText(response: Response, limit: number, where: string): Promise<string> {
  const tooLarge = () =>
    new ConnectorError({
      code: 'E_RESPONSE_TOO_LARGE',
      message: `http.request: ${where} answered with more than ${limit} bytes.`,
      retryable: false,
      hint: 'Ask the API for less (paging, filters, fields), or raise maxResponseBytes.',
    });
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel();
    throw tooLarge();
  }
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > limit) {
      await response.body.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readBody(response: Response, limit: number, where: string): Promise<unknown> {
  const text = await readText(response, limit, where);
  if (text === '') return null;
  const type = response.headers.get('content-type') ?? '';
  if (/[/+]json\b/i.test(type)) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

export const request = action({
  key: 'request',
  title: 'HTTP request',
  description:
    'Send one HTTP request to any URL and return its status, headers and body. Use it for APIs that have no dedicated connector.',
  effect: 'write',
  idempotent: false,
  input: RequestInput,
  output: RequestOutput,
  async run(input, ctx) {
    const target = buildUrl(input.url, input.query);
    const { body, contentType } = encodeBody(input);
    const headers = new Headers(input.headers ?? {});
    if (contentType && !headers.has('content-type')) headers.set('content-type', contentType);
    if (input.idempotencyHeader && !NO_BODY_METHODS.has(input.method) && !headers.has('idempotency-key')) {
      headers.set('idempotency-key', ctx.idempotencyKey);
    }
    // Named by the URL as written: a token or key the credential adds at send time never appears in errors.
    const where = `${input.method} ${target.origin}${target.pathname.replace(/%7Btoken%7D/gi, '{token}')}`;
    if (hasTokenPlaceholder(target.pathname) && ctx.client.auth?.type !== 'url-token') {
      throw new ConnectorError({
        code: 'E_PARAMS',
        message: `http.request: ${where} has a {token} placeholder, which only a url-token credential fills in.`,
        retryable: false,
        hint: 'Name a credential of type url-token in the node’s `credential` (vmesh credentials set NAME --type url-token), or write the URL without {token}.',
      });
    }
    const timeout = AbortSignal.timeout(input.timeoutMs);
    const signal = AbortSignal.any([ctx.signal, timeout]);
    const unsigned: AuthRequest = {
      method: input.method,
      url: target,
      headers,
      body: body === undefined ? undefined : Buffer.from(body),
    };
    const authContext = { fetch: ctx.client.fetch, signal, now: new Date(), tokens: ctx.env.tokens };
    const send = (signed: AuthRequest) => {
      const init: SafeRequestInit = {
        method: input.method,
        headers: signed.headers,
        body: signed.body,
        redirect: 'follow',
        signal,
        credentialHeaders: changedHeaderNames(headers, signed.headers),
      };
      return ctx.client.fetch(signed.url, init);
    };
    const sent = ctx.client.auth ? await ctx.client.auth.apply(unsigned, authContext) : unsigned;
    let response: Response;
    try {
      response = await send(sent);
      // An oauth2 token the API refuses is renewed once (another worker may have renewed it already).
      if (response.status === 401 && ctx.client.auth?.renew) {
        const again = await ctx.client.auth.renew(unsigned, sent, authContext);
        if (again) {
          await response.body?.cancel();
          response = await send(again);
        }
      }
    } catch (error) {
      if (timeout.aborted && !ctx.signal.aborted) {
        throw new ConnectorError({
          code: 'E_TIMEOUT',
          message: `http.request: ${where} did not answer within ${input.timeoutMs} ms.`,
          retryable: true,
          hint: 'Raise timeoutMs if the service is slow; the step is retried with backoff.',
          cause: error,
        });
      }
      throw error;
    }
    const responseHeaders: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      responseHeaders[name] = value;
    });
    const responseBody =
      input.method === 'HEAD' ? null : await readBody(response, input.maxResponseBytes, where);
    if (input.failOnStatus && (response.status < 200 || response.status > 299)) {
      const snippet = typeof responseBody === 'string' ? responseBody : JSON.stringify(responseBody);
      throw connectorErrorFromStatus({
        connector: 'http',
        status: response.status,
        message: `${where} answered ${response.status}: ${(snippet ?? '').slice(0, MAX_ERROR_SNIPPET)}`,
        retryAfter: response.headers.get('retry-after'),
        headers: response.headers,
        details: { body: responseBody },
      });
    }
    return { status: response.status, headers: responseHeaders, body: responseBody };
  },
});
