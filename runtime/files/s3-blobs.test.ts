import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Blobs } from './s3-blobs.ts';
import { type FakeS3, startFakeS3 } from './testing/fake-s3.ts';

// The S3 blob store against the local S3 fake, which recomputes every SigV4 signature and payload hash.

let s3: FakeS3;
beforeAll(async () => {
  s3 = await startFakeS3();
});
afterAll(async () => {
  await s3?.close();
});

function blobs(secretAccessKey = s3.secretAccessKey) {
  return createS3Blobs({
    bucket: s3.bucket,
    endpoint: s3.url,
    region: s3.region,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey },
    forcePathStyle: true,
  });
}

async function* pieces(total: number, size = 256 * 1024): AsyncGenerator<Buffer> {
  for (let sent = 0; sent < total; sent += size) {
    yield Buffer.alloc(Math.min(size, total - sent), sent % 251);
  }
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('S3 blobs through the signature-checking fake', () => {
  it('stores a small file with PutObject and a large one with a multipart upload, and reads both back', async () => {
    const store = blobs();
    const signal = new AbortController().signal;
    await store.put({ id: 'f_small', key: 'files/r1/small' }, pieces(1000), signal);
    await store.put({ id: 'f_large', key: 'files/r1/large' }, pieces(11 * 1024 * 1024), signal);
    const operations = s3.requests.map((request) => request.operation);
    expect(operations).toContain('PutObject');
    expect(operations.filter((operation) => operation === 'UploadPart').length).toBeGreaterThanOrEqual(3);
    expect(operations).toContain('CompleteMultipartUpload');
    expect(s3.requests.every((request) => request.status < 300)).toBe(true);
    const large = await readAll(await store.open({ id: 'f_large', key: 'files/r1/large' }));
    const parts: Buffer[] = [];
    for await (const part of pieces(11 * 1024 * 1024)) parts.push(part);
    const expected = Buffer.concat(parts);
    expect(createHash('sha256').update(large).digest('hex')).toBe(
      createHash('sha256').update(expected).digest('hex'),
    );
    expect((await readAll(await store.open({ id: 'f_small', key: 'files/r1/small' }))).byteLength).toBe(1000);
    await store.remove(['files/r1/small', 'files/r1/large']);
    expect(s3.objects.size).toBe(0);
  });

  it('is refused with SignatureDoesNotMatch when signed with a wrong secret', async () => {
    const store = blobs('not-the-secret-key-0123456789abcdefghij');
    await expect(
      store.put({ id: 'f_wrong', key: 'files/r2/wrong' }, pieces(10), new AbortController().signal),
    ).rejects.toMatchObject({ code: 'E_FILE_STORE', details: { s3Error: 'SignatureDoesNotMatch' } });
    expect(s3.objects.has('files/r2/wrong')).toBe(false);
    expect(s3.requests.at(-1)).toMatchObject({ operation: 'PutObject', status: 403 });
  });
});
