import { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { AppError } from '../../lib/index.ts';
import type { BlobStore } from './blob-store.ts';
import type { S3FilesConfig } from './files-config.ts';

/** Parts of a multipart upload; with queueSize 1 about two parts are in memory per file being written. */
const PART_BYTES = 5 * 1024 * 1024;

/** A failure of the bucket (refused signature, unreachable endpoint) as a step error; our own errors pass as they are. */
function storeError(error: unknown, bucket: string, action: string): unknown {
  if (error instanceof AppError) return error;
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return new AppError({
    code: 'E_FILE_STORE',
    message: `The file store (S3 bucket "${bucket}") failed to ${action} a file: ${name}: ${message}`,
    retryable: true,
    hint: 'Check the VMESH_FILES_S3_* settings (endpoint, region, keys) and that the bucket exists; the step is retried.',
    details: { s3Error: name },
    cause: error,
  });
}

/** Bytes as objects `files/<runId>/<fileId>` in an S3-compatible bucket (streamed in and out). */
export function createS3Blobs(config: S3FilesConfig): BlobStore {
  const client = new S3Client({
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
    forcePathStyle: config.forcePathStyle,
    // Plain signed requests that every S3-compatible store understands (no aws-chunked trailers).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const bucket = config.bucket;
  return {
    kind: 's3',
    keyFor: (runId, fileId) => `files/${runId}/${fileId}`,
    async put(blob, chunks, signal) {
      if (!blob.key) throw new Error('an S3 blob needs a key');
      const abortController = new AbortController();
      const onAbort = () => abortController.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        await new Upload({
          client,
          params: { Bucket: bucket, Key: blob.key, Body: Readable.from(chunks, { objectMode: false }) },
          partSize: PART_BYTES,
          queueSize: 1,
          leavePartsOnError: false,
          abortController,
        }).done();
      } catch (error) {
        throw storeError(error, bucket, 'store');
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    },
    async open(blob) {
      const answer = await client
        .send(new GetObjectCommand({ Bucket: bucket, Key: blob.key ?? '' }))
        .catch((error: unknown) => {
          throw storeError(error, bucket, 'read');
        });
      if (!answer.Body) return new ReadableStream({ start: (controller) => controller.close() });
      return answer.Body.transformToWebStream() as ReadableStream<Uint8Array>;
    },
    async remove(keys) {
      for (const key of keys) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
  };
}
