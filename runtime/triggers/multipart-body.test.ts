import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  boundaryOf,
  MULTIPART_LIMITS,
  type MultipartLimits,
  parseMultipart as parseStream,
} from './multipart-body.ts';
import { spoolRequest } from './upload-spool.ts';

/** What the routes do: the body spooled to a folder, then parsed from there. */
async function parseMultipart(raw: Buffer, contentType: string, limits: MultipartLimits) {
  const spool = await spoolRequest(Readable.from([raw]), Number.MAX_SAFE_INTEGER);
  try {
    const parsed = await parseStream(spool.stream(), contentType, {
      ...limits,
      size: spool.size,
      dir: spool.dir,
    });
    if (parsed.ok) for (const file of parsed.value.files) await file.body.arrayBuffer();
    return parsed;
  } finally {
    await spool.cleanup();
  }
}

// The multipart reader on hand-written bodies: what becomes fields and files, and which caps refuse before parsing.
const limits = { maxFileBytes: 1024, maxRequestBytes: 64 * 1024 };
const TYPE = 'multipart/form-data; boundary=XyZ';

function body(parts: string[]): Buffer {
  return Buffer.from(`${parts.map((part) => `--XyZ\r\n${part}\r\n`).join('')}--XyZ--\r\n`);
}
const field = (name: string, value: string) =>
  `Content-Disposition: form-data; name="${name}"\r\n\r\n${value}`;
const file = (name: string, filename: string, value: string) =>
  `Content-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: text/csv\r\n\r\n${value}`;

describe('parseMultipart', () => {
  it('gives text fields (a repeated name → a list) and file parts; drops __proto__, empty file inputs and NUL', async () => {
    const parsed = await parseMultipart(
      body([
        field('a', 'one'),
        field('a', 'two'),
        field('__proto__', 'x'),
        field('nul', 'a\u0000b'),
        file('orders', 'o.csv', 'sku\nA'),
        file('empty', '', ''),
      ]),
      TYPE,
      limits,
    );
    if (!parsed.ok) throw new Error(parsed.error.message);
    expect(parsed.value.fields).toEqual({ a: ['one', 'two'], nul: 'a\uFFFDb' });
    expect(Object.getPrototypeOf(parsed.value.fields)).toBe(Object.prototype);
    expect(parsed.value.files.map((part) => [part.field, part.name, part.size, part.contentType])).toEqual([
      ['orders', 'o.csv', 5, 'text/csv'],
    ]);
  });

  it('refuses with 413 E_FILE_TOO_LARGE: a big file, a big text field, too many parts, a big request', async () => {
    const refusal = async (raw: Buffer, max = limits) => {
      const parsed = await parseMultipart(raw, TYPE, max);
      return parsed.ok
        ? undefined
        : { status: parsed.error.status, code: parsed.error.code, ...parsed.error.details };
    };
    expect(await refusal(body([file('f', 'big.csv', 'x'.repeat(1025))]))).toMatchObject({
      status: 413,
      code: 'E_FILE_TOO_LARGE',
      limit: 'VMESH_FILE_MAX_BYTES',
    });
    expect(
      await refusal(body([field('t', 'x'.repeat(MULTIPART_LIMITS.fieldBytes + 1))]), {
        ...limits,
        maxRequestBytes: 1e6,
      }),
    ).toMatchObject({ limit: 'fieldBytes' });
    const many = Array.from({ length: MULTIPART_LIMITS.parts + 1 }, (_, index) => field(`f${index}`, 'x'));
    expect(await refusal(body(many))).toMatchObject({ limit: 'parts', limitCount: MULTIPART_LIMITS.parts });
    expect(await refusal(body([field('t', 'x')]), { ...limits, maxRequestBytes: 10 })).toMatchObject({
      limit: 'VMESH_UPLOAD_MAX_BYTES',
    });
  });

  it('answers 400 E_BAD_MULTIPART for a body that does not match its boundary', async () => {
    const parsed = await parseMultipart(Buffer.from('--Other\r\nnope'), TYPE, limits);
    expect(parsed.ok ? undefined : parsed.error).toMatchObject({ status: 400, code: 'E_BAD_MULTIPART' });
    expect((await parseMultipart(Buffer.from('x'), 'multipart/form-data', limits)).ok).toBe(false);
  });

  it('reads quoted and plain boundaries', () => {
    expect(boundaryOf('multipart/form-data; boundary="a b"')).toBe('a b');
    expect(boundaryOf('multipart/form-data; charset=utf-8; boundary=----x1')).toBe('----x1');
    expect(boundaryOf('multipart/form-data')).toBeUndefined();
  });
});
