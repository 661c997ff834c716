import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * A local S3 that speaks the wire format the AWS SDK uses for PutObject, multipart uploads, GetObject and
 * DeleteObject (path-style: /bucket/key), with XML answers and errors, and that checks every request's SigV4
 * signature and payload hash against the one access key it knows. Objects are kept in memory.
 */
export type FakeS3 = {
  url: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  objects: Map<string, Buffer>;
  /** Every request: method, key, operation and the answer's status (signature failures included). */
  requests: { method: string; key: string; operation: string; status: number }[];
  close(): Promise<void>;
};

type Upload = { key: string; parts: Map<number, Buffer> };

function xml(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'application/xml' });
  response.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
}

function s3Error(response: ServerResponse, status: number, code: string, message: string): void {
  xml(response, status, `<Error><Code>${code}</Code><Message>${message}</Message></Error>`);
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseAmzDate(value: string): Date {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) throw new Error('bad x-amz-date');
  const [, y, mo, d, h, mi, s] = match;
  return new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
}

export async function startFakeS3(
  options: { bucket?: string; accessKeyId?: string; secretAccessKey?: string; region?: string } = {},
): Promise<FakeS3> {
  const bucket = options.bucket ?? 'vmesh-files';
  const accessKeyId = options.accessKeyId ?? 'AKIAFAKES3TEST000001';
  const secretAccessKey = options.secretAccessKey ?? 'fake-s3-secret-key-0123456789abcdefghij';
  const region = options.region ?? 'eu-central-1';
  const objects = new Map<string, Buffer>();
  const uploads = new Map<string, Upload>();
  const requests: FakeS3['requests'] = [];
  const signer = new SignatureV4({
    credentials: { accessKeyId, secretAccessKey },
    region,
    service: 's3',
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: false,
    applyChecksum: false,
  });

  /** Whether the Authorization header is the signature of this request with our secret (recomputed, not parsed). */
  async function signatureMatches(
    request: IncomingMessage,
    url: URL,
    body: Buffer,
  ): Promise<string | undefined> {
    const authorization = request.headers.authorization ?? '';
    const match =
      /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
        authorization,
      );
    if (!match) return 'AccessDenied';
    const [, keyId, , scopeRegion, signedHeaderList = '', signature] = match;
    if (keyId !== accessKeyId) return 'InvalidAccessKeyId';
    if (scopeRegion !== region) return 'AuthorizationHeaderMalformed';
    const payloadHash = String(request.headers['x-amz-content-sha256'] ?? '');
    if (/^[0-9a-f]{64}$/.test(payloadHash)) {
      if (createHash('sha256').update(body).digest('hex') !== payloadHash) return 'XAmzContentSHA256Mismatch';
    } else if (payloadHash !== 'UNSIGNED-PAYLOAD') {
      return 'NotImplemented';
    }
    const signed = signedHeaderList.split(';');
    const headers: Record<string, string> = {};
    for (const name of signed) {
      const value = request.headers[name];
      if (value === undefined) return 'AccessDenied';
      headers[name] = Array.isArray(value) ? value.join(',') : value;
    }
    const query: Record<string, string | string[]> = {};
    for (const [name, value] of url.searchParams) {
      const seen = query[name];
      query[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
    }
    const expected = await signer.sign(
      {
        method: request.method ?? 'GET',
        protocol: 'http:',
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: (request.url ?? '/').split('?')[0] ?? '/',
        query,
        headers,
      },
      {
        signingDate: parseAmzDate(String(request.headers['x-amz-date'] ?? '')),
        signableHeaders: new Set(signed),
      },
    );
    const recomputed = /Signature=([0-9a-f]{64})/.exec(String(expected.headers.authorization))?.[1];
    return recomputed === signature ? undefined : 'SignatureDoesNotMatch';
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<string> {
    const url = new URL(request.url ?? '/', 'http://fake-s3');
    const [, bucketName = '', ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const body = await readBody(request);
    const refused = await signatureMatches(request, url, body);
    const method = request.method ?? 'GET';
    const operation =
      method === 'POST' && url.searchParams.has('uploads')
        ? 'CreateMultipartUpload'
        : method === 'PUT' && url.searchParams.has('uploadId')
          ? 'UploadPart'
          : method === 'POST' && url.searchParams.has('uploadId')
            ? 'CompleteMultipartUpload'
            : method === 'DELETE' && url.searchParams.has('uploadId')
              ? 'AbortMultipartUpload'
              : (({ PUT: 'PutObject', GET: 'GetObject', DELETE: 'DeleteObject' } as Record<string, string>)[
                  method
                ] ?? 'Unknown');
    if (refused) {
      s3Error(
        response,
        refused === 'NotImplemented' ? 501 : 403,
        refused,
        'The request signature was refused.',
      );
      return operation;
    }
    if (bucketName !== bucket) {
      s3Error(response, 404, 'NoSuchBucket', 'The specified bucket does not exist.');
      return operation;
    }
    const uploadId = url.searchParams.get('uploadId') ?? '';
    switch (operation) {
      case 'PutObject':
        objects.set(key, body);
        response.writeHead(200, { etag: `"${createHash('md5').update(body).digest('hex')}"` });
        response.end();
        return operation;
      case 'CreateMultipartUpload': {
        const id = randomUUID();
        uploads.set(id, { key, parts: new Map() });
        xml(
          response,
          200,
          `<InitiateMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${key}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`,
        );
        return operation;
      }
      case 'UploadPart': {
        const upload = uploads.get(uploadId);
        if (!upload) {
          s3Error(response, 404, 'NoSuchUpload', 'The specified upload does not exist.');
          return operation;
        }
        upload.parts.set(Number(url.searchParams.get('partNumber')), body);
        response.writeHead(200, { etag: `"${createHash('md5').update(body).digest('hex')}"` });
        response.end();
        return operation;
      }
      case 'CompleteMultipartUpload': {
        const upload = uploads.get(uploadId);
        if (!upload) {
          s3Error(response, 404, 'NoSuchUpload', 'The specified upload does not exist.');
          return operation;
        }
        const numbers = [...body.toString('utf8').matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((m) =>
          Number(m[1]),
        );
        const parts = numbers.map((n) => upload.parts.get(n));
        if (numbers.length === 0 || parts.some((part) => part === undefined)) {
          s3Error(response, 400, 'InvalidPart', 'One or more of the specified parts could not be found.');
          return operation;
        }
        objects.set(upload.key, Buffer.concat(parts as Buffer[]));
        uploads.delete(uploadId);
        xml(
          response,
          200,
          `<CompleteMultipartUploadResult><Location>/${bucket}/${upload.key}</Location><Bucket>${bucket}</Bucket><Key>${upload.key}</Key><ETag>"done"</ETag></CompleteMultipartUploadResult>`,
        );
        return operation;
      }
      case 'AbortMultipartUpload':
        uploads.delete(uploadId);
        response.writeHead(204);
        response.end();
        return operation;
      case 'GetObject': {
        const object = objects.get(key);
        if (!object) {
          s3Error(response, 404, 'NoSuchKey', 'The specified key does not exist.');
          return operation;
        }
        response.writeHead(200, {
          'content-length': String(object.byteLength),
          'content-type': 'binary/octet-stream',
        });
        response.end(object);
        return operation;
      }
      case 'DeleteObject':
        objects.delete(key);
        response.writeHead(204);
        response.end();
        return operation;
      default:
        s3Error(response, 501, 'NotImplemented', `${method} is not implemented by the fake.`);
        return operation;
    }
  }

  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://fake-s3');
    handle(request, response)
      .then((operation) =>
        requests.push({
          method: request.method ?? 'GET',
          key: decodeURIComponent(url.pathname.split('/').slice(2).join('/')),
          operation,
          status: response.statusCode,
        }),
      )
      .catch((error: unknown) => {
        if (!response.headersSent) s3Error(response, 500, 'InternalError', String(error));
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    bucket,
    accessKeyId,
    secretAccessKey,
    region,
    objects,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
