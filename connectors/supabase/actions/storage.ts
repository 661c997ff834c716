import { z } from 'zod';
import { ConnectorError, connectorErrorFromStatus } from '../../sdk/connector-error.ts';
import { defineAction } from '../../sdk/define.ts';
import { describeNamed } from '../../sdk/describe-target.ts';
import { FileRef } from '../../sdk/files.ts';
import type { RestClient } from '../../sdk/rest/index.ts';
import type { SafeRequestInit } from '../../sdk/safe-fetch.ts';
import { readSupabaseError, type SupabaseCredential, supabaseAuth } from '../client.ts';

const Bucket = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'a bucket name: letters, digits, ., _ and -')
  .describe('The Storage bucket, e.g. "invoices".');

const ObjectPath = z
  .string()
  .min(1)
  .max(1024)
  .refine(
    (path) =>
      path
        .split('/')
        .every(
          (segment) =>
            segment.length > 0 && segment !== '.' && segment !== '..' && !/[\p{Cc}]/u.test(segment),
        ),
    'a path of names separated by / (no empty, "." or ".." parts)',
  )
  .describe('The object path inside the bucket, e.g. "2026/12/invoice-1042.pdf".');

/** `/storage/v1/object/<bucket>/<path>` with every path segment encoded as one segment. */
function objectPath(bucket: string, path: string): string {
  return `/storage/v1/object/${encodeURIComponent(bucket)}/${path.split('/').map(encodeURIComponent).join('/')}`;
}

const StorageTimeoutMs = 300_000;

export const UploadFileInput = z.strictObject({
  bucket: Bucket,
  path: ObjectPath,
  file: FileRef.describe('The file to store, from an earlier step, e.g. "{{ steps.render.output.file }}".'),
  upsert: z
    .boolean()
    .default(false)
    .describe('Replace an object already at that path (x-upsert), e.g. true.'),
  cacheControl: z
    .string()
    .regex(/^[0-9]{1,9}$/)
    .optional()
    .describe('Seconds browsers and the CDN may cache it, e.g. "3600".'),
});

const Uploaded = z.object({ Key: z.string(), Id: z.string().optional() });

const UploadFileOutput = z.object({
  key: z.string().describe('The stored object as "bucket/path".'),
  id: z.string().nullable().describe('The object id.'),
  size: z.number().int().describe('Bytes stored.'),
});
const DownloadFileOutput = z.object({ file: FileRef });

export const uploadFile = defineAction<
  typeof UploadFileInput,
  typeof UploadFileOutput,
  SupabaseCredential,
  RestClient
>({
  key: 'uploadFile',
  title: 'Upload a file to Supabase Storage',
  description:
    'Store a file from an earlier step in a Supabase Storage bucket at a path (optionally replacing what is there).',
  effect: 'write',
  idempotent: false,
  describeTarget: (withValue) =>
    describeNamed('the Supabase Storage bucket', withValue.bucket, { path: withValue.path }),
  input: UploadFileInput,
  output: UploadFileOutput,
  async run(input, ctx) {
    const { ref, stream } = await ctx.files.read(input.file);
    const response = await ctx.client.send(
      {
        method: 'POST',
        path: objectPath(input.bucket, input.path),
        headers: {
          'x-upsert': String(input.upsert),
          ...(input.cacheControl ? { 'cache-control': `max-age=${input.cacheControl}` } : {}),
        },
        stream: { stream, length: ref.size, contentType: ref.contentType },
      },
      ctx.signal,
    );
    const stored = Uploaded.parse(response.body);
    return { key: stored.Key, id: stored.Id ?? null, size: ref.size };
  },
});

export const DownloadFileInput = z.strictObject({
  bucket: Bucket,
  path: ObjectPath,
  fileName: z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe('The name of the file in the run, e.g. "invoice.pdf"; default the path’s last part.'),
});

async function downloadError(response: Response, label: string): Promise<ConnectorError> {
  const text = (await response.text().catch(() => '')).slice(0, 2000);
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  const vendor = readSupabaseError(body);
  return connectorErrorFromStatus({
    connector: 'supabase',
    status: response.status,
    message: `${label} failed: ${vendor?.message ?? text.slice(0, 300)}`,
    headers: response.headers,
    ...(vendor?.hint ? { hint: vendor.hint } : {}),
    details: vendor?.vendorCode ? { vendorCode: vendor.vendorCode } : {},
  });
}

/** The bytes are streamed into the run's file store (its size cap applies), never held whole. */
export const downloadFile = defineAction<
  typeof DownloadFileInput,
  typeof DownloadFileOutput,
  SupabaseCredential,
  RestClient
>({
  key: 'downloadFile',
  title: 'Download a file from Supabase Storage',
  description:
    'Fetch an object from a Supabase Storage bucket into the run as a file that later steps can attach, convert or upload.',
  effect: 'read',
  idempotent: true,
  describeTarget: (withValue) =>
    describeNamed('the Supabase Storage bucket', withValue.bucket, { path: withValue.path }),
  input: DownloadFileInput,
  output: DownloadFileOutput,
  async run(input, ctx) {
    if (!ctx.credential) {
      throw new ConnectorError({
        code: 'E_CREDENTIAL',
        message: 'supabase.downloadFile needs a credential.',
        retryable: false,
      });
    }
    const path = objectPath(input.bucket, input.path);
    const url = new URL(path.slice(1), ctx.client.baseUrl);
    const signed = await supabaseAuth(ctx.credential).apply(
      { method: 'GET', url, headers: new Headers(), body: undefined },
      { fetch: ctx.env.fetch, signal: ctx.signal, now: new Date() },
    );
    const init: SafeRequestInit = {
      headers: signed.headers,
      signal: ctx.signal,
      redirect: 'error',
      timeoutMs: StorageTimeoutMs,
      maxResponseBytes: Number.MAX_SAFE_INTEGER,
      credentialHeaders: ['apikey', 'authorization'],
    };
    const response = await ctx.env.fetch(url, init);
    if (!response.ok) throw await downloadError(response, `GET ${url.pathname}`);
    const declared = Number(response.headers.get('content-length'));
    try {
      const file = await ctx.files.write(
        {
          name: input.fileName ?? input.path.split('/').at(-1) ?? 'download.bin',
          contentType: response.headers.get('content-type') ?? undefined,
          expectedSize:
            response.headers.has('content-length') && Number.isFinite(declared) ? declared : undefined,
        },
        response.body ?? new Uint8Array(0),
      );
      return { file };
    } finally {
      await response.body?.cancel().catch(() => {});
    }
  },
});
