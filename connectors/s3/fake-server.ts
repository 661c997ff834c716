import { createHash } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import {
  FailureQueue,
  type InjectedFailure,
  listenLocal,
  type RecordedRequest,
} from '../testing/fake-server.ts';

// S3's REST API as documented (path-style addressing): PutObject, GetObject, DeleteObject and ListObjectsV2 with
// continuation tokens, every request's SigV4 Authorization checked (format, key id, and the signature recomputed
// over the signed headers), and S3's XML error bodies: NoSuchKey, NoSuchBucket, AccessDenied, InvalidAccessKeyId,
// SignatureDoesNotMatch, ExpiredToken, SlowDown.

export type FakeS3Object = {
  key: string;
  body: Buffer;
  contentType: string;
  etag: string;
  lastModified: Date;
};

export type S3Fake = {
  /** Give as env.baseUrls.s3 (the endpoint; buckets are addressed path-style). */
  url: string;
  credential: { accessKeyId: string; secretAccessKey: string; region: string; forcePathStyle: true };
  requests: (RecordedRequest & { rawBody: Buffer })[];
  objects(bucket: string): FakeS3Object[];
  /** Stores an object directly (for listing, pagination and trigger tests). */
  seed(bucket: string, key: string, body: string | Buffer, lastModified?: Date): void;
  /** Objects per ListObjectsV2 page at most (S3: 1000). */
  pageSize: number;
  /** The key pair stops working: `deleted` answers InvalidAccessKeyId, `expired` ExpiredToken (STS); `none` restores it. */
  revoke(how: 'deleted' | 'expired' | 'none'): void;
  /** Route keys: `PutObject`, `GetObject`, `DeleteObject`, `ListObjectsV2`; bodies are XML strings. */
  fail(route: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

export function s3ErrorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>4442587FB7D0A2F9</RequestId><HostId>fake</HostId></Error>`;
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([A-Za-z0-9]+)\/(\d{8})\/([a-z0-9-]+)\/s3\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export async function startS3Fake(options: { buckets?: string[] } = {}): Promise<S3Fake> {
  const credential = {
    accessKeyId: 'AKIAFAKES3EXAMPLE01',
    secretAccessKey: 'fake/s3/secret/key/0123456789abcdefghij',
    region: 'eu-central-1',
    forcePathStyle: true as const,
  };
  const buckets = new Map<string, Map<string, FakeS3Object>>(
    (options.buckets ?? ['acme-invoices']).map((name) => [name, new Map()]),
  );
  const requests: (RecordedRequest & { rawBody: Buffer })[] = [];
  const failures = new FailureQueue();
  let revoked: 'deleted' | 'expired' | undefined;
  const signer = new SignatureV4({
    credentials: { accessKeyId: credential.accessKeyId, secretAccessKey: credential.secretAccessKey },
    region: credential.region,
    service: 's3',
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: false,
    applyChecksum: true,
  });

  const app = Fastify({ logger: false, bodyLimit: 50 * 1024 * 1024 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  const fake: S3Fake = {
    url: '',
    credential,
    requests,
    pageSize: 1000,
    objects: (bucket) => [...(buckets.get(bucket)?.values() ?? [])],
    seed(bucket, key, body, lastModified = new Date()) {
      const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
      buckets.get(bucket)?.set(key, {
        key,
        body: bytes,
        contentType: 'application/octet-stream',
        etag: createHash('md5').update(bytes).digest('hex'),
        lastModified,
      });
    },
    revoke(how) {
      revoked = how === 'none' ? undefined : how;
    },
    fail: (route, failure) => failures.add(route, failure),
    close: () => app.close(),
  };

  const sendError = (reply: FastifyReply, status: number, code: string, message: string) =>
    reply.code(status).header('content-type', 'application/xml').send(s3ErrorXml(code, message));

  /** The SigV4 check S3 makes: the header's shape, a known key, then the signature over the signed headers. */
  async function refuseUnsigned(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    const authorization = String(request.headers.authorization ?? '');
    const match = AUTHORIZATION.exec(authorization);
    const amzDate = String(request.headers['x-amz-date'] ?? '');
    if (!match || !/^\d{8}T\d{6}Z$/.test(amzDate) || !request.headers['x-amz-content-sha256']) {
      sendError(reply, 400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed.');
      return true;
    }
    const [, keyId, date, region, signedHeaders] = match;
    if (keyId !== credential.accessKeyId || revoked === 'deleted') {
      sendError(
        reply,
        403,
        'InvalidAccessKeyId',
        'The AWS Access Key Id you provided does not exist in our records.',
      );
      return true;
    }
    if (revoked === 'expired') {
      sendError(reply, 400, 'ExpiredToken', 'The provided token has expired.');
      return true;
    }
    if (region !== credential.region || date !== amzDate.slice(0, 8)) {
      sendError(
        reply,
        400,
        'AuthorizationHeaderMalformed',
        `the region '${region}' is wrong; expecting '${credential.region}'`,
      );
      return true;
    }
    const headers: Record<string, string> = {};
    for (const name of (signedHeaders ?? '').split(';')) headers[name] = String(request.headers[name] ?? '');
    const raw = new URL(request.url, 'http://fake.invalid');
    const query: Record<string, string> = {};
    for (const [name, value] of raw.searchParams) query[name] = value;
    const stamp = amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z');
    const expected = await signer.sign(
      {
        method: request.method,
        protocol: 'http:',
        hostname: request.hostname,
        path: raw.pathname,
        query,
        headers,
      },
      { signingDate: new Date(stamp) },
    );
    if (expected.headers.authorization !== authorization) {
      sendError(
        reply,
        403,
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided.',
      );
      return true;
    }
    return false;
  }

  app.addHook('onRequest', async (request, reply) => {
    if (await refuseUnsigned(request, reply)) return reply;
    return undefined;
  });
  app.addHook('preHandler', async (request) => {
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    requests.push({
      method: request.method,
      path: request.url.split('?')[0] ?? request.url,
      query: (request.query ?? {}) as Record<string, unknown>,
      headers: request.headers,
      body: raw.toString('utf8'),
      rawBody: raw,
    });
  });

  const injected = (route: string, reply: FastifyReply) => {
    const failure = failures.take(route);
    if (!failure) return false;
    reply.code(failure.status).header('content-type', 'application/xml');
    for (const [name, value] of Object.entries(failure.headers ?? {})) reply.header(name, value);
    reply.send(failure.body === undefined ? '' : String(failure.body));
    return true;
  };

  const bucketOf = (name: string, reply: FastifyReply) => {
    const bucket = buckets.get(name);
    if (!bucket) sendError(reply, 404, 'NoSuchBucket', 'The specified bucket does not exist');
    return bucket;
  };
  const keyOf = (request: FastifyRequest) => {
    const path = request.url.split('?')[0] ?? '';
    return decodeURIComponent(path.split('/').slice(2).join('/'));
  };

  app.get('/:bucket', async (request, reply) => {
    if (injected('ListObjectsV2', reply)) return reply;
    const params = request.params as { bucket: string };
    const bucket = bucketOf(params.bucket, reply);
    if (!bucket) return reply;
    const query = request.query as Record<string, string | undefined>;
    if (query['list-type'] !== '2')
      return sendError(reply, 400, 'InvalidArgument', 'only ListObjectsV2 here');
    const prefix = query.prefix ?? '';
    const delimiter = query.delimiter;
    const maxKeys = Math.min(fake.pageSize, Number(query['max-keys'] ?? 1000));
    const start = query['continuation-token']
      ? Buffer.from(query['continuation-token'], 'base64url').toString()
      : '';
    const keys = [...bucket.keys()].filter((key) => key.startsWith(prefix) && key > start).sort();
    const contents: FakeS3Object[] = [];
    const prefixes = new Set<string>();
    let last = '';
    for (const key of keys) {
      if (contents.length + prefixes.size >= maxKeys) break;
      last = key;
      const rest = key.slice(prefix.length);
      const cut = delimiter ? rest.indexOf(delimiter) : -1;
      if (delimiter && cut >= 0) prefixes.add(prefix + rest.slice(0, cut + delimiter.length));
      else contents.push(bucket.get(key) as FakeS3Object);
    }
    const truncated = keys.length > 0 && last !== '' && keys[keys.length - 1] !== last;
    const xml = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
      `<Name>${params.bucket}</Name><Prefix>${escapeXml(prefix)}</Prefix><KeyCount>${contents.length + prefixes.size}</KeyCount><MaxKeys>${maxKeys}</MaxKeys>`,
      `<IsTruncated>${truncated}</IsTruncated>`,
      truncated
        ? `<NextContinuationToken>${Buffer.from(last).toString('base64url')}</NextContinuationToken>`
        : '',
      ...contents.map(
        (object) =>
          `<Contents><Key>${escapeXml(object.key)}</Key><LastModified>${object.lastModified.toISOString()}</LastModified><ETag>&quot;${object.etag}&quot;</ETag><Size>${object.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
      ),
      ...[...prefixes].map(
        (entry) => `<CommonPrefixes><Prefix>${escapeXml(entry)}</Prefix></CommonPrefixes>`,
      ),
      '</ListBucketResult>',
    ].join('');
    return reply.header('content-type', 'application/xml').send(xml);
  });

  app.put('/:bucket/*', async (request, reply) => {
    if (injected('PutObject', reply)) return reply;
    const bucket = bucketOf((request.params as { bucket: string }).bucket, reply);
    if (!bucket) return reply;
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    if (Number(request.headers['content-length']) !== body.length) {
      return sendError(
        reply,
        400,
        'IncompleteBody',
        'You did not provide the number of bytes specified by the Content-Length HTTP header.',
      );
    }
    const object: FakeS3Object = {
      key: keyOf(request),
      body,
      contentType: String(request.headers['content-type'] ?? 'binary/octet-stream'),
      etag: createHash('md5').update(body).digest('hex'),
      lastModified: new Date(),
    };
    bucket.set(object.key, object);
    return reply.header('etag', `"${object.etag}"`).send();
  });

  app.get('/:bucket/*', async (request, reply) => {
    if (injected('GetObject', reply)) return reply;
    const bucket = bucketOf((request.params as { bucket: string }).bucket, reply);
    if (!bucket) return reply;
    const object = bucket.get(keyOf(request));
    if (!object) return sendError(reply, 404, 'NoSuchKey', 'The specified key does not exist.');
    return reply
      .header('content-type', object.contentType)
      .header('etag', `"${object.etag}"`)
      .header('last-modified', object.lastModified.toUTCString())
      .send(object.body);
  });

  app.delete('/:bucket/*', async (request, reply) => {
    if (injected('DeleteObject', reply)) return reply;
    const bucket = bucketOf((request.params as { bucket: string }).bucket, reply);
    if (!bucket) return reply;
    bucket.delete(keyOf(request));
    return reply.code(204).send();
  });

  fake.url = await listenLocal(app);
  return fake;
}
