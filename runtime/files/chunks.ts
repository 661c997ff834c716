import type { FileBody } from '../../connectors/index.ts';

/** Size of one stored piece: what is in memory at once per file being written or read. */
export const CHUNK_BYTES = 256 * 1024;

function toIterable(body: FileBody): AsyncIterable<Uint8Array> | Iterable<Uint8Array> {
  return body instanceof Uint8Array ? [body] : body;
}

/** The body cut into pieces of exactly `size` bytes (the last one shorter), each a copy it owns. */
export async function* rechunk(body: FileBody, size = CHUNK_BYTES): AsyncGenerator<Buffer> {
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  for await (const piece of toIterable(body)) {
    if (!(piece instanceof Uint8Array)) throw new TypeError('a file body yields Uint8Array chunks');
    let offset = 0;
    while (offset < piece.byteLength) {
      const take = Math.min(size - pendingBytes, piece.byteLength - offset);
      pending.push(piece.subarray(offset, offset + take));
      pendingBytes += take;
      offset += take;
      if (pendingBytes === size) {
        yield Buffer.concat(pending, size);
        pending = [];
        pendingBytes = 0;
      }
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}
