import { z } from 'zod';
import { type AuthRequest, changedHeaderNames, hasTokenPlaceholder } from '../../sdk/auth/index.ts';
import { ConnectorError, connectorErrorFromStatus } from '../../sdk/connector-error.ts';
import { describeNamed } from '../../sdk/describe-target.ts';
import { type FilePort, FileRef } from '../../sdk/files.ts';
import type { SafeRequestInit } from '../../sdk/safe-fetch.ts';
import {
  MultipartPart,
  multipartBody,
  rawFileBody,
  responseFileName,
  type StreamedBody,
} from '../file-bodies.ts';
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
    .describe(
      "Request body (not allowed for GET/HEAD/OPTIONS). Encoded as `bodyType` says; a file reference (`{{ steps.download.output.file }}`) sends the file's bytes.",
    ),
  bodyType: z
    .enum(['json', 'text', 'form', 'file'])
    .optional()
    .describe(
      'How `body` is sent: `json` (application/json), `text` (text/plain, body must be a string), `form` (application/x-www-form-urlencoded, body must be a flat object) or `file` (body is a file reference; its bytes are sent raw with its content type). Default: `file` when body is a file reference, else json.',
    ),
  multipart: z
    .array(MultipartPart)
    .min(1)
    .max(100)
    .optional()
    .describe(
      'Send a multipart/form-data body instead of `body`: parts `{ name, value }` (a field) or `{ name, file, fileName?, contentType? }` (a file reference from a step output).',
    ),
  responseType: z
    .enum(['auto', 'file'])
    .default('auto')
    .describe(
      "`auto` (default): the body is parsed JSON or text in `body`. `file`: the body is stored as a file of the run (streamed, up to the server's file size limit) and the output has `file`, a file reference, instead of `body`.",
    ),
  fileName: z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe(
      "With responseType file: the stored file's name (default: from Content-Disposition, else the URL's last path segment).",
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
  body: z
    .unknown()
    .optional()
    .describe(
      'Parsed JSON when the content-type is JSON, else the text (null when empty); absent with responseType file.',
    ),
  file: FileRef.optional().describe('With responseType file: the stored response body.'),
});
export type RequestOutput = z.infer<typeof RequestOutput>;

function buildUrl(url: string, query: RequestInput['query']): URL {
  const target = new URL(url);
  for (const [name, value] of Object.entries(query ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) target.searchParams.append(name, String(item));
  }
  return target;
}

type EncodedBody = { body: string | undefined; contentType: string | undefined };

function noBodyAllowed(input: RequestInput): ConnectorError {
  return new ConnectorError({
    code: 'E_PARAMS',
    message: `http.request: a ${input.method} request cannot have a body.`,
    retryable: false,
    hint: 'Move the values into `query`, or use POST/PUT/PATCH.',
  });
}

/** A file body (`bodyType: file`, a file reference as `body`, or `multipart`), opened anew for each send. */
function fileUpload(input: RequestInput, files: FilePort): (() => Promise<StreamedBody>) | undefined {
  if (input.multipart) {
    if (input.body !== undefined) {
      throw new ConnectorError({
        code: 'E_PARAMS',
        message: 'http.request: give either `body` or `multipart`, not both.',
        retryable: false,
        hint: 'Put every field in `multipart` as { name, value } or { name, file }.',
      });
    }
    if (NO_BODY_METHODS.has(input.method)) throw noBodyAllowed(input);
    const parts = input.multipart;
    return () => multipartBody(files, parts);
  }
  if (input.body === undefined) return undefined;
  const ref = FileRef.safeParse(input.body);
  if (input.bodyType === 'file' || (input.bodyType === undefined && ref.success)) {
    if (!ref.success) {
      throw new ConnectorError({
        code: 'E_PARAMS',
        message:
          'http.request: bodyType "file" needs `body` to be a file reference { id, name, contentType, size, sha256 }.',
        retryable: false,
        hint: 'Pass a file from a step output, e.g. "body": "{{ steps.download.output.file }}".',
      });
    }
    if (NO_BODY_METHODS.has(input.method)) throw noBodyAllowed(input);
    return () => rawFileBody(files, ref.data);
  }
  return undefined;
}

function encodeBody(input: RequestInput): EncodedBody {
  if (input.body === undefined) return { body: undefined, contentType: undefined };
  if (NO_BODY_METHODS.has(input.method)) {
    throw new ConnectorError({
      code: 'E_PARAMS',
      message: `http.request: a ${input.method} request cannot have a body.`,
      retryable: false,
      hint: 'Move the values into `query`, or use POST/PUT/PATCH.',
    });
  }
  switch (input.bodyType ?? 'json') {
    case 'file':
      throw new Error('a file body is sent by fileUpload');
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
  describeTarget: (withValue) =>
    describeNamed('the URL', withValue.url, { method: withValue.method ?? 'GET' }),
  input: RequestInput,
  output: RequestOutput,
  async run(input, ctx) {
    const target = buildUrl(input.url, input.query);
    const upload = fileUpload(input, ctx.files);
    const { body, contentType } = upload ? { body: undefined, contentType: undefined } : encodeBody(input);
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
    // A file body is checked (it must be a file of this run) and measured before anything is sent.
    let streamed = upload ? await upload() : undefined;
    if (streamed) {
      if (!headers.has('content-type')) headers.set('content-type', streamed.contentType);
      headers.set('content-length', String(streamed.length));
      // A streamed body is not hashed for the signature: AWS is told so (raw file bodies carry their known hash).
      if (ctx.client.auth?.type === 'aws-sigv4' && !headers.has('x-amz-content-sha256')) {
        const ref = input.multipart ? undefined : FileRef.safeParse(input.body).data;
        headers.set('x-amz-content-sha256', ref?.sha256 ?? 'UNSIGNED-PAYLOAD');
      }
    }
    const fileTransfer = streamed !== undefined || input.responseType === 'file';
    const timeout = AbortSignal.timeout(input.timeoutMs);
    const signal = AbortSignal.any([ctx.signal, timeout]);
    const unsigned: AuthRequest = {
      method: input.method,
      url: target,
      headers,
      body: body === undefined ? undefined : Buffer.from(body),
    };
    const authContext = { fetch: ctx.client.fetch, signal, now: new Date(), tokens: ctx.env.tokens };
    const send = async (signed: AuthRequest) => {
      // A stream is read once: a second send (after a token renewal) opens the file again.
      const stream = streamed ? streamed.stream : undefined;
      streamed = undefined;
      const init: SafeRequestInit = {
        method: input.method,
        headers: signed.headers,
        body: stream ?? (upload ? (await upload()).stream : signed.body),
        ...(upload ? { duplex: 'half' as const } : {}),
        redirect: 'follow',
        signal,
        credentialHeaders: changedHeaderNames(headers, signed.headers),
        // The file store caps a downloaded file; the step's timeout caps a transfer.
        ...(fileTransfer ? { timeoutMs: input.timeoutMs } : {}),
        ...(input.responseType === 'file' ? { maxResponseBytes: Number.MAX_SAFE_INTEGER } : {}),
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
    const failed = input.failOnStatus && (response.status < 200 || response.status > 299);
    if (input.responseType === 'file' && input.method !== 'HEAD' && !failed) {
      const declared = Number(response.headers.get('content-length'));
      try {
        const file = await ctx.files.write(
          {
            name: input.fileName ?? responseFileName(response.headers.get('content-disposition'), target),
            contentType: response.headers.get('content-type') ?? undefined,
            expectedSize:
              response.headers.has('content-length') && Number.isFinite(declared) ? declared : undefined,
          },
          response.body ?? new Uint8Array(0),
        );
        return { status: response.status, headers: responseHeaders, file };
      } finally {
        await response.body?.cancel().catch(() => {});
      }
    }
    const responseBody =
      input.method === 'HEAD' ? null : await readBody(response, input.maxResponseBytes, where);
    if (failed) {
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
    if (input.responseType === 'file') return { status: response.status, headers: responseHeaders };
    return { status: response.status, headers: responseHeaders, body: responseBody };
  },
});
