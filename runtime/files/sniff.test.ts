import { describe, expect, it } from 'vitest';
import { rechunk } from './chunks.ts';
import { sniffContentType } from './sniff.ts';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');
const PDF = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n', 'latin1');

describe('sniffContentType', () => {
  it('takes the type the bytes have over the one the sender claimed', async () => {
    expect(await sniffContentType(PNG, 'text/html', 'x.html')).toBe('image/png');
    expect(await sniffContentType(PDF, 'application/octet-stream', 'report')).toBe('application/pdf');
  });

  it('refuses a claimed binary format the bytes do not have, and keeps a claimed type it cannot check', async () => {
    const text = Buffer.from('name,total\nada,3\n');
    expect(await sniffContentType(text, 'image/png', 'fake.png')).toBe('application/octet-stream');
    expect(await sniffContentType(text, 'text/csv; charset=utf-8', 'totals')).toBe('text/csv');
  });

  it('falls back to the extension for text formats, else application/octet-stream', async () => {
    const text = Buffer.from('{"a":1}');
    expect(await sniffContentType(text, undefined, 'data.json')).toBe('application/json');
    expect(await sniffContentType(text, 'not a type', 'blob')).toBe('application/octet-stream');
    expect(await sniffContentType(Buffer.alloc(0), undefined, 'empty')).toBe('application/octet-stream');
  });
});

describe('rechunk', () => {
  it('cuts any body into pieces of the chunk size, the last one shorter, bytes in order', async () => {
    async function* body() {
      yield Buffer.from('abc');
      yield Buffer.from('defghij');
      yield new Uint8Array(0);
      yield Buffer.from('k');
    }
    const pieces: string[] = [];
    for await (const piece of rechunk(body(), 4)) pieces.push(piece.toString());
    expect(pieces).toEqual(['abcd', 'efgh', 'ijk']);
    const whole: number[] = [];
    for await (const piece of rechunk(new Uint8Array(10).fill(7), 3)) whole.push(piece.length);
    expect(whole).toEqual([3, 3, 3, 1]);
  });
});
