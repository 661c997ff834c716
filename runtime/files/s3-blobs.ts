import { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { BlobStore } from './blob-store.ts';
import type { S3FilesConfig } from './files-config.ts';

/** Parts of a multipart upload; with queueSize 1 about two parts are in memory per file being written. */
const PART_BYTES = 5 * 1024 * 1024;

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
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    },
    async open(blob) {
      const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: blob.key ?? '' }));
      if (!answer.Body) return new ReadableStream({ start: (controller) => controller.close() });
      return answer.Body.transformToWebStream() as ReadableStream<Uint8Array>;
    },
    async remove(keys) {
      for (const key of keys) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
  };
}
