import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.ts';
import type { ConnectorError } from '../sdk/connector-error.ts';
import type { PollTriggerDefinition } from '../sdk/define.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { createMemoryFiles } from '../testing/memory-files.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { objectUrl } from './client.ts';
import { s3Connector } from './connector.ts';
import { type S3Fake, s3ErrorXml, startS3Fake } from './fake-server.ts';

let fake: S3Fake;
let env: ReturnType<typeof createTestEnvironment>;

beforeAll(async () => {
  fake = await startS3Fake();
  env = createTestEnvironment({ s3: fake.url });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
});

const run = (key: string, input: unknown, files = createMemoryFiles()) =>
  runAction(s3Connector, key, input, { env, credential: fake.credential, files });
const runError = async (key: string, input: unknown, credential: unknown = fake.credential) =>
  (await runActionError(s3Connector, key, input, {
    env,
    credential,
    files: createMemoryFiles(),
  })) as ConnectorError;

describe('s3 actions against the S3 fake', () => {
  it('putObject streams a run file with a SigV4 UNSIGNED-PAYLOAD signature; getObject brings it back', async () => {
    const files = createMemoryFiles();
    const file = await files.write(
      { name: 'report.csv', contentType: 'text/csv' },
      Buffer.from('a,b\n1,2\n'),
    );
    const put = await run(
      'putObject',
      { bucket: 'acme-invoices', key: 'reports/2026 Q1/report (1).csv', file },
      files,
    );
    expect(put).toEqual({
      bucket: 'acme-invoices',
      key: 'reports/2026 Q1/report (1).csv',
      etag: expect.stringMatching(/^[0-9a-f]{32}$/),
      size: 8,
    });
    const sent = fake.requests[0];
    expect(sent?.method).toBe('PUT');
    expect(sent?.path).toBe('/acme-invoices/reports/2026%20Q1/report%20%281%29.csv');
    expect(sent?.headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
    expect(sent?.headers['content-type']).toBe('text/csv');
    expect(String(sent?.headers.authorization)).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIAFAKES3EXAMPLE01\/\d{8}\/eu-central-1\/s3\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
    );
    expect(sent?.rawBody.toString()).toBe('a,b\n1,2\n');

    const got = (await run(
      'getObject',
      { bucket: 'acme-invoices', key: 'reports/2026 Q1/report (1).csv' },
      files,
    )) as {
      file: { id: string; name: string; size: number };
      etag: string;
      contentType: string;
    };
    expect(got.file).toMatchObject({ name: 'report (1).csv', size: 8 });
    expect(got.etag).toBe(put && (put as { etag: string }).etag);
    expect(got.contentType).toBe('text/csv');
    const { stream } = await files.read(got.file.id);
    expect(Buffer.from(await new Response(stream).arrayBuffer()).toString()).toBe('a,b\n1,2\n');
  });

  it('listObjects walks continuation tokens, with prefix and delimiter', async () => {
    for (const name of ['a', 'b', 'c', 'd', 'e']) fake.seed('acme-invoices', `list/${name}.txt`, name);
    fake.seed('acme-invoices', 'list/sub/x.txt', 'x');
    fake.pageSize = 2;
    try {
      const out = (await run('listObjects', { bucket: 'acme-invoices', prefix: 'list/' })) as {
        objects: { key: string; size: number; etag: string }[];
        truncated: boolean;
      };
      expect(out.objects.map((object) => object.key)).toEqual([
        'list/a.txt',
        'list/b.txt',
        'list/c.txt',
        'list/d.txt',
        'list/e.txt',
        'list/sub/x.txt',
      ]);
      expect(out.objects[0]).toMatchObject({ size: 1, etag: expect.stringMatching(/^[0-9a-f]{32}$/) });
      expect(out.truncated).toBe(false);
      expect(fake.requests).toHaveLength(3);
      expect(fake.requests[0]?.query).toMatchObject({ 'list-type': '2', prefix: 'list/' });
      expect(fake.requests[1]?.query['continuation-token']).toEqual(expect.any(String));

      const capped = (await run('listObjects', { bucket: 'acme-invoices', prefix: 'list/', limit: 3 })) as {
        objects: unknown[];
        truncated: boolean;
      };
      expect(capped.objects).toHaveLength(3);
      expect(capped.truncated).toBe(true);

      fake.pageSize = 1000;
      const folders = await run('listObjects', { bucket: 'acme-invoices', prefix: 'list/', delimiter: '/' });
      expect(folders).toMatchObject({ prefixes: ['list/sub/'] });
    } finally {
      fake.pageSize = 1000;
    }
  });

  it('deleteObject deletes, and deleting a missing key succeeds as in S3', async () => {
    fake.seed('acme-invoices', 'tmp/old.txt', 'old');
    expect(await run('deleteObject', { bucket: 'acme-invoices', key: 'tmp/old.txt' })).toEqual({
      bucket: 'acme-invoices',
      key: 'tmp/old.txt',
      deleted: true,
    });
    expect(fake.objects('acme-invoices').some((object) => object.key === 'tmp/old.txt')).toBe(false);
    expect(await run('deleteObject', { bucket: 'acme-invoices', key: 'tmp/old.txt' })).toMatchObject({
      deleted: true,
    });
    expect(fake.requests.map((request) => request.method)).toEqual(['DELETE', 'DELETE']);
  });

  it('NoSuchKey and NoSuchBucket are not-found errors with a hint', async () => {
    const missing = await runError('getObject', { bucket: 'acme-invoices', key: 'nope.txt' });
    expect(missing.code).toBe('E_NOT_FOUND');
    expect(missing.details).toMatchObject({ vendorCode: 'NoSuchKey' });
    expect(missing.hint).toContain('case-sensitive');
    const bucket = await runError('listObjects', { bucket: 'no-such-bucket' });
    expect(bucket.details).toMatchObject({ vendorCode: 'NoSuchBucket' });
  });

  it('AccessDenied says which permission; SlowDown 503 is a retryable rate limit with the wait', async () => {
    fake.fail('PutObject', { status: 403, body: s3ErrorXml('AccessDenied', 'Access Denied') });
    const files = createMemoryFiles();
    const file = await files.write({ name: 'x.txt' }, Buffer.from('x'));
    const denied = (await runActionError(
      s3Connector,
      'putObject',
      { bucket: 'acme-invoices', key: 'x.txt', file },
      {
        env,
        credential: fake.credential,
        files,
      },
    )) as ConnectorError;
    expect(denied.code).toBe('E_AUTH');
    expect(denied.retryable).toBe(false);
    expect(denied.hint).toContain('s3:PutObject');

    fake.fail('ListObjectsV2', {
      status: 503,
      headers: { 'retry-after': '3' },
      body: s3ErrorXml('SlowDown', 'Please reduce your request rate.'),
    });
    const slow = await runError('listObjects', { bucket: 'acme-invoices' });
    expect(slow.code).toBe('E_RATE_LIMITED');
    expect(slow.retryable).toBe(true);
    expect(slow.retryAfterMs).toBe(3000);
  });

  it('a wrong secret, a deleted key and expired temporary credentials are E_AUTH with what to do', async () => {
    const wrongSecret = await runError(
      'listObjects',
      { bucket: 'acme-invoices' },
      { ...fake.credential, secretAccessKey: 'not-the-secret' },
    );
    expect(wrongSecret.code).toBe('E_AUTH');
    expect(wrongSecret.details).toMatchObject({ vendorCode: 'SignatureDoesNotMatch' });
    expect(wrongSecret.message).not.toContain('not-the-secret');

    fake.revoke('expired');
    const expired = await runError('listObjects', { bucket: 'acme-invoices' });
    expect(expired.code).toBe('E_AUTH');
    expect(expired.status).toBe(400);
    expect(expired.hint).toContain('vmesh credentials set');
    fake.revoke('deleted');
    const deleted = await runError('listObjects', { bucket: 'acme-invoices' });
    expect(deleted.details).toMatchObject({ vendorCode: 'InvalidAccessKeyId' });
    expect(deleted.hint).toContain('vmesh credentials set');
    fake.revoke('none');
  });

  it('refuses dot segments in keys; builds virtual-hosted and path-style URLs', async () => {
    const dots = await runError('deleteObject', { bucket: 'acme-invoices', key: 'a/../b' });
    expect(dots.code).toBe('E_PARAMS');
    const endpoint = new URL('https://s3.eu-central-1.amazonaws.com');
    expect(objectUrl({ url: endpoint, pathStyle: false }, 'acme', 'a b/c.txt').toString()).toBe(
      'https://acme.s3.eu-central-1.amazonaws.com/a%20b/c.txt',
    );
    expect(objectUrl({ url: new URL('http://minio:9000'), pathStyle: true }, 'acme', 'k').toString()).toBe(
      'http://minio:9000/acme/k',
    );
  });
});

describe('s3.objectCreated', () => {
  const trigger = s3Connector.triggers.find(
    (candidate) => candidate.key === 'objectCreated',
  ) as PollTriggerDefinition;
  const poll = (filters: unknown, after?: { at: number; id: string }) =>
    trigger.poll(
      {
        credential: fake.credential,
        client: s3Connector.createClient({ credential: fake.credential, env }),
        logger: createLogger({ level: 'silent' }),
        signal: new AbortController().signal,
        env,
      },
      trigger.with.parse(filters),
      { after, state: undefined },
    );

  it('lists the objects under the prefix as items, newest filtering by the watermark and suffix', async () => {
    fake.seed('acme-invoices', 'incoming/old.csv', 'old', new Date('2026-01-01T00:00:00Z'));
    fake.seed('acme-invoices', 'incoming/new.csv', 'new', new Date('2026-02-01T00:00:00Z'));
    fake.seed('acme-invoices', 'incoming/new.tmp', 'tmp', new Date('2026-02-01T00:00:00Z'));
    fake.seed('acme-invoices', 'elsewhere/x.csv', 'x', new Date('2026-02-01T00:00:00Z'));
    const all = await poll({ bucket: 'acme-invoices', prefix: 'incoming/', suffix: '.csv' });
    expect(all.items.map((item) => item.data)).toEqual([
      expect.objectContaining({ key: 'incoming/new.csv', size: 3, lastModified: '2026-02-01T00:00:00.000Z' }),
      expect.objectContaining({ key: 'incoming/old.csv' }),
    ]);
    const since = await poll(
      { bucket: 'acme-invoices', prefix: 'incoming/', suffix: '.csv' },
      { at: Date.parse('2026-01-15T00:00:00Z'), id: 'x' },
    );
    expect(since.items.map((item) => (item.data as { key: string }).key)).toEqual(['incoming/new.csv']);
    expect(fake.requests.at(-1)?.query).toMatchObject({ prefix: 'incoming/' });
    // A rewrite of the key is another item.
    const first = since.items[0]?.id;
    fake.seed('acme-invoices', 'incoming/new.csv', 'newer', new Date('2026-03-01T00:00:00Z'));
    const again = await poll({ bucket: 'acme-invoices', prefix: 'incoming/', suffix: '.csv' });
    expect(
      again.items.find((item) => (item.data as { key: string }).key === 'incoming/new.csv')?.id,
    ).not.toBe(first);
  });
});

describe('s3 docs', () => {
  it('doc.md has one section per action and trigger', async () => {
    const doc = await readFile(s3Connector.docPath, 'utf8');
    expect(docSections(doc)).toEqual([
      ...s3Connector.actions.map((action) => action.key),
      ...s3Connector.triggers.map((trigger) => `trigger:${trigger.key}`),
    ]);
  });
});
