import { XMLParser } from 'fast-xml-parser';
import { z } from 'zod';
import { type AuthRequest, changedHeaderNames } from '../sdk/auth/auth-style.ts';
import { signSigV4 } from '../sdk/auth/aws-sigv4.ts';
import { ConnectorError, connectorErrorFromStatus } from '../sdk/connector-error.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';
import type { SafeRequestInit } from '../sdk/safe-fetch.ts';

export const S3Credential = z.strictObject({
  accessKeyId: z.string().min(1).max(256).describe('The access key id (AKIA…, or the key id of MinIO/R2).'),
  secretAccessKey: z
    .string()
    .min(1)
    .max(256)
    .describe('The secret access key; never sent, only used to sign.'),
  sessionToken: z
    .string()
    .min(1)
    .max(4096)
    .optional()
    .describe('The session token of temporary credentials.'),
  region: z
    .string()
    .regex(/^[a-z0-9-]{1,32}$/, 'a region such as us-east-1 (auto for Cloudflare R2)')
    .default('us-east-1')
    .describe('The bucket’s region, e.g. eu-central-1 (R2: auto). Default us-east-1.'),
  endpoint: z
    .url({ protocol: /^https?$/, error: 'an http(s) URL such as https://s3.eu-central-1.amazonaws.com' })
    .max(512)
    .optional()
    .describe(
      'An S3-compatible endpoint, e.g. https://<account>.r2.cloudflarestorage.com or http://minio.internal:9000; default AWS’s for the region.',
    ),
  forcePathStyle: z
    .boolean()
    .default(false)
    .describe(
      'Address buckets as endpoint/bucket/key instead of bucket.endpoint/key (MinIO and most self-hosted stores).',
    ),
});
export type S3Credential = z.output<typeof S3Credential>;

export const BucketName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name (3–63 lower-case letters, digits, . and -)')
  .describe('The bucket, e.g. "acme-invoices".');

export const ObjectKey = z
  .string()
  .min(1)
  .max(1024)
  .refine(
    (key) => !key.split('/').some((part) => part === '.' || part === '..'),
    'no "." or ".." path segments',
  )
  .describe('The object key (its path in the bucket), e.g. "reports/2026/05/summary.pdf".');

export type S3Request = {
  method: 'GET' | 'PUT' | 'DELETE' | 'HEAD';
  bucket: string;
  key?: string;
  query?: Record<string, string | undefined>;
  headers?: Record<string, string | undefined>;
  /** A body streamed as it is sent (PutObject): sent with UNSIGNED-PAYLOAD and its exact length. */
  stream?: { body: ReadableStream<Uint8Array>; length: number };
  /** Statuses that are answers, not failures (none by default). */
  accept?: readonly number[];
  /** A file transfer (GetObject, PutObject): the file store caps its size, and it may take longer than a call. */
  transfer?: boolean;
};

/** How long one object transfer may take. */
const TRANSFER_TIMEOUT_MS = 15 * 60_000;

export type S3Client = {
  send(request: S3Request, signal: AbortSignal): Promise<Response>;
};

/** S3's URI encoding of a key: every byte but unreserved characters, `/` kept as the separator. */
export function encodeKey(key: string): string {
  return key
    .split('/')
    .map((part) =>
      encodeURIComponent(part).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    )
    .join('/');
}

function endpointOf(credential: S3Credential, env: ConnectorEnvironment): { url: URL; pathStyle: boolean } {
  const override = env.baseUrls.s3;
  const raw = override ?? credential.endpoint ?? `https://s3.${credential.region}.amazonaws.com`;
  // A test fake or an IP endpoint can only be addressed path-style.
  return { url: new URL(raw), pathStyle: credential.forcePathStyle || override !== undefined };
}

/** The object's URL: `bucket.host/key` (virtual-hosted) or `host/bucket/key` (path style). */
export function objectUrl(
  endpoint: { url: URL; pathStyle: boolean },
  bucket: string,
  key: string | undefined,
): URL {
  const base = endpoint.url;
  const basePath = base.pathname.replace(/\/+$/, '');
  const keyPath = key === undefined ? '/' : `/${encodeKey(key)}`;
  if (endpoint.pathStyle)
    return new URL(`${base.origin}${basePath}/${bucket}${key === undefined ? '' : keyPath}`);
  return new URL(`${base.protocol}//${bucket}.${base.host}${basePath}${keyPath}`);
}

export function createS3Client(options: {
  credential: S3Credential | undefined;
  env: ConnectorEnvironment;
}): S3Client {
  const { credential, env } = options;
  return {
    async send(request, signal) {
      if (!credential) {
        throw new ConnectorError({
          code: 'E_CREDENTIAL',
          message: 's3 needs an s3 credential (access key id and secret).',
          retryable: false,
          hint: 'Store one with `vmesh credentials set NAME --type s3` and name it in the node’s `credential`.',
        });
      }
      const url = objectUrl(endpointOf(credential, env), request.bucket, request.key);
      for (const [name, value] of Object.entries(request.query ?? {})) {
        if (value !== undefined) url.searchParams.set(name, value);
      }
      const headers = new Headers();
      for (const [name, value] of Object.entries(request.headers ?? {}))
        if (value !== undefined) headers.set(name, value);
      if (request.stream) {
        headers.set('x-amz-content-sha256', 'UNSIGNED-PAYLOAD');
        headers.set('content-length', String(request.stream.length));
      }
      const unsigned: AuthRequest = { method: request.method, url, headers, body: undefined };
      const signed = await signSigV4(unsigned, { ...credential, service: 's3' }, new Date());
      const init: SafeRequestInit & { duplex?: 'half' } = {
        method: request.method,
        headers: signed.headers,
        signal,
        credentialHeaders: changedHeaderNames(unsigned.headers, signed.headers),
        ...(request.stream ? { body: request.stream.body, duplex: 'half' as const } : {}),
        // The file store caps what is written; the transfer is streamed into it.
        ...(request.transfer
          ? { maxResponseBytes: Number.MAX_SAFE_INTEGER, timeoutMs: TRANSFER_TIMEOUT_MS }
          : {}),
      };
      let response: Response;
      try {
        response = await env.fetch(url, init);
      } catch (error) {
        await request.stream?.body.cancel().catch(() => {});
        throw error;
      }
      if ((response.status >= 200 && response.status <= 299) || request.accept?.includes(response.status)) {
        return response;
      }
      throw s3Failure(response, await response.text().catch(() => ''), `${request.method} ${request.bucket}`);
    },
  };
}

const xml = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => name === 'Contents' || name === 'CommonPrefixes',
});

/** Parses an S3 XML answer; a body that is no XML gives an empty object. */
export function parseXml(text: string): unknown {
  try {
    return xml.parse(text.slice(0, 10_000_000));
  } catch {
    return {};
  }
}

const ErrorBody = z.object({
  Error: z.object({
    Code: z.string().optional(),
    Message: z.string().optional(),
    RequestId: z.string().optional(),
  }),
});

const AUTH_CODES = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'AccessDenied',
  'AllAccessDisabled',
  'AccountProblem',
]);

const HINTS: Record<string, string> = {
  NoSuchKey:
    'No object has this key in the bucket: check the key (it is case-sensitive and includes the folder path).',
  NoSuchBucket:
    'The bucket does not exist (or is in another account/endpoint): check the bucket name and the credential’s endpoint.',
  AccessDenied:
    'The key pair lacks the permission for this call (s3:GetObject, s3:PutObject, s3:ListBucket, s3:DeleteObject on the bucket): extend its policy, or use another key.',
  InvalidAccessKeyId:
    'The access key id is unknown to this endpoint (deleted, or for another provider/region): store a current key with `vmesh credentials set NAME --type s3`.',
  SignatureDoesNotMatch:
    'The secret access key does not match the key id: store the right pair with `vmesh credentials set NAME --type s3`.',
  ExpiredToken:
    'The temporary credentials (sessionToken) expired: store fresh ones with `vmesh credentials set NAME --type s3`, or use a long-lived access key.',
  SlowDown: 'S3 asks to slow down (too many requests on this prefix); the step is retried with backoff.',
  PermanentRedirect:
    'The bucket is in another region: set the credential’s `region` (and endpoint) to the bucket’s.',
  AuthorizationHeaderMalformed:
    'The region of the credential is not the bucket’s: set `region` to the bucket’s region.',
  EntityTooLarge: 'The file is larger than a single PUT allows (5 GB).',
};

/** An S3 error answer (`<Error><Code>…</Code><Message>…</Message></Error>`) as a ConnectorError. */
export function s3Failure(response: Response, text: string, label: string): ConnectorError {
  const parsed = ErrorBody.safeParse(parseXml(text));
  const code = parsed.success ? parsed.data.Error.Code : undefined;
  const vendorMessage = parsed.success ? parsed.data.Error.Message : undefined;
  const base = connectorErrorFromStatus({
    connector: 's3',
    status: response.status,
    message: `${label} failed: ${code ? `${code}: ` : ''}${vendorMessage ?? (text.slice(0, 300) || response.statusText)}`,
    headers: response.headers,
    hint: (code && HINTS[code]) ?? undefined,
    details: {
      ...(code ? { vendorCode: code } : {}),
      ...(parsed.success && parsed.data.Error.RequestId ? { requestId: parsed.data.Error.RequestId } : {}),
    },
    ...(code === 'SlowDown' ? { retryable: true } : {}),
  });
  // ExpiredToken answers 400 and SlowDown 503: their kind is the code's, not the status's.
  const kind = code && AUTH_CODES.has(code) ? 'E_AUTH' : code === 'SlowDown' ? 'E_RATE_LIMITED' : base.code;
  if (kind === base.code) return base;
  return new ConnectorError({
    code: kind,
    message: base.message,
    retryable: kind === 'E_RATE_LIMITED',
    status: response.status,
    ...(base.retryAfterMs === undefined ? {} : { retryAfterMs: base.retryAfterMs }),
    hint: base.hint ?? HINTS[code ?? ''] ?? 'Check the s3 credential.',
    details: base.details,
  });
}

/** An object as ListObjectsV2 lists it. */
const ListedObjectXml = z.object({
  Key: z.string(),
  LastModified: z.string(),
  ETag: z.string().default(''),
  Size: z.string().default('0'),
  StorageClass: z.string().optional(),
});

const ListPageXml = z.object({
  ListBucketResult: z.object({
    Contents: z.array(ListedObjectXml).default([]),
    CommonPrefixes: z.array(z.object({ Prefix: z.string() })).default([]),
    IsTruncated: z.string().default('false'),
    NextContinuationToken: z.string().optional(),
  }),
});

export const S3Object = z.object({
  key: z.string().describe('The object key.'),
  size: z.number().int().describe('Size in bytes.'),
  etag: z.string().describe('The ETag (MD5 of a simple upload), without quotes.'),
  lastModified: z.string().describe('When it was last written, ISO 8601.'),
  storageClass: z.string().nullable().describe('STANDARD, GLACIER, …; null when not listed.'),
});
export type S3Object = z.infer<typeof S3Object>;

export function unquoteEtag(etag: string | null): string {
  return (etag ?? '').replace(/^"|"$/g, '');
}

/**
 * Lists a bucket with ListObjectsV2, following NextContinuationToken, up to `maxItems` objects or `maxPages`
 * pages. S3 lists in key order.
 */
export async function listObjects(
  client: S3Client,
  options: {
    bucket: string;
    prefix?: string | undefined;
    delimiter?: string | undefined;
    maxItems: number;
    maxPages: number;
  },
  signal: AbortSignal,
): Promise<{ objects: S3Object[]; prefixes: string[]; truncated: boolean }> {
  const objects: S3Object[] = [];
  const prefixes: string[] = [];
  let token: string | undefined;
  const seenTokens = new Set<string>();
  for (let page = 0; page < options.maxPages; page += 1) {
    const response = await client.send(
      {
        method: 'GET',
        bucket: options.bucket,
        query: {
          'list-type': '2',
          prefix: options.prefix,
          delimiter: options.delimiter,
          'max-keys': String(Math.min(1000, options.maxItems - objects.length)),
          'continuation-token': token,
        },
      },
      signal,
    );
    const parsed = ListPageXml.safeParse(parseXml(await response.text()));
    if (!parsed.success) {
      throw new ConnectorError({
        code: 'E_UPSTREAM',
        message: 's3: the bucket listing was not a ListBucketResult.',
        retryable: false,
        hint: 'Check the endpoint: it does not answer like S3 (ListObjectsV2).',
      });
    }
    const result = parsed.data.ListBucketResult;
    for (const item of result.Contents) {
      objects.push({
        key: item.Key,
        size: Number(item.Size),
        etag: unquoteEtag(item.ETag),
        lastModified: new Date(item.LastModified).toISOString(),
        storageClass: item.StorageClass ?? null,
      });
    }
    prefixes.push(...result.CommonPrefixes.map((entry) => entry.Prefix));
    token = result.IsTruncated === 'true' ? result.NextContinuationToken : undefined;
    if (!token || seenTokens.has(token))
      return { objects: objects.slice(0, options.maxItems), prefixes, truncated: Boolean(token) };
    seenTokens.add(token);
    if (objects.length >= options.maxItems)
      return { objects: objects.slice(0, options.maxItems), prefixes, truncated: true };
  }
  return { objects, prefixes, truncated: true };
}
