import { Gunzip, Unzip, type UnzipFile, UnzipInflate } from 'fflate';
import { dataError } from '../sdk/data-error.ts';

/** Compressed input is fed in slices this big, so one slice can inflate to at most ~1,032 times as much. */
const SLICE = 16 * 1024;

/** Thrown from inside fflate's callbacks to stop inflating at once. */
class Overflow extends Error {}

function tooBig(where: string, maxBytes: number, cause?: unknown) {
  return dataError(
    'E_TOO_LARGE_DECOMPRESSED',
    `${where}: the content inflates to more than ${maxBytes} bytes (maxBytes); decompression was stopped.`,
    'This is either a compression bomb or a bigger file than expected: raise maxBytes (up to 50,000,000) only if you trust the source.',
    cause,
  );
}

function corrupt(where: string, cause: unknown) {
  return dataError(
    'E_CORRUPT_ARCHIVE',
    `${where}: the data is not valid ${where.endsWith('gunzip') ? 'gzip' : 'zip'} (${cause instanceof Error ? cause.message : String(cause)}).`,
    'Check that the whole file arrived (not truncated) and that it is base64 of the compressed bytes.',
    cause,
  );
}

function concat(chunks: Uint8Array[], total: number): Buffer {
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** Gunzips `data`, stopping with a step error once the output passes `maxBytes`. */
export function gunzipBounded(data: Uint8Array, maxBytes: number, where: string): Buffer {
  if (data.length < 18 || data[0] !== 0x1f || data[1] !== 0x8b || data[2] !== 8) {
    throw corrupt(where, new Error('no gzip header'));
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  let finished = false;
  const stream = new Gunzip((chunk, final) => {
    total += chunk.length;
    if (total > maxBytes) throw new Overflow();
    chunks.push(chunk);
    if (final) finished = true;
  });
  try {
    for (let at = 0; at < data.length; at += SLICE) {
      stream.push(data.subarray(at, at + SLICE), at + SLICE >= data.length);
    }
    if (data.length === 0) stream.push(new Uint8Array(0), true);
  } catch (error) {
    if (error instanceof Overflow) throw tooBig(where, maxBytes);
    throw corrupt(where, error);
  }
  if (!finished) throw corrupt(where, new Error('unexpected end of data'));
  // The trailer's ISIZE: the uncompressed length mod 2^32 (catches a cut or altered stream the inflater accepted).
  const tail = data.length - 4;
  const declared =
    ((data[tail] ?? 0) |
      ((data[tail + 1] ?? 0) << 8) |
      ((data[tail + 2] ?? 0) << 16) |
      ((data[tail + 3] ?? 0) << 24)) >>>
    0;
  if (declared !== total % 2 ** 32) throw corrupt(where, new Error('the trailer does not match the content'));
  return concat(chunks, total);
}

export type UnzippedEntry = { name: string; bytes: Buffer };

/** Unzips `data`, stopping with a step error once all files together pass `maxBytes` or there are too many. */
export function unzipBounded(
  data: Uint8Array,
  maxBytes: number,
  maxEntries: number,
  where: string,
): UnzippedEntry[] {
  if (!hasEndRecord(data)) throw corrupt(where, new Error('no end-of-archive record: not a zip, or cut off'));
  const entries: { name: string; chunks: Uint8Array[]; size: number; done: boolean }[] = [];
  let total = 0;
  let tooMany = false;
  const unzip = new Unzip((file: UnzipFile) => {
    if (file.name.endsWith('/')) return;
    if (entries.length >= maxEntries) {
      tooMany = true;
      throw new Overflow();
    }
    const entry = { name: file.name, chunks: [] as Uint8Array[], size: 0, done: false };
    entries.push(entry);
    file.ondata = (error, chunk, final) => {
      if (error) throw error;
      total += chunk.length;
      if (total > maxBytes) throw new Overflow();
      entry.chunks.push(chunk);
      entry.size += chunk.length;
      if (final) entry.done = true;
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  try {
    for (let at = 0; at < data.length; at += SLICE) {
      unzip.push(data.subarray(at, at + SLICE), at + SLICE >= data.length);
    }
  } catch (error) {
    if (error instanceof Overflow) {
      if (tooMany) {
        throw dataError(
          'E_TOO_MANY_ENTRIES',
          `${where}: the archive has more than ${maxEntries} files (maxEntries).`,
          'Raise maxEntries (up to 10,000) if the archive is expected to be that big.',
        );
      }
      throw tooBig(where, maxBytes);
    }
    throw corrupt(where, error);
  }
  const broken = entries.find((entry) => !entry.done);
  if (broken)
    throw corrupt(where, new Error(`"${broken.name}" is cut off or uses an unsupported compression`));
  if (entries.length === 0 && !isEmptyZip(data)) throw corrupt(where, new Error('no zip entries found'));
  return entries.map((entry) => ({ name: entry.name, bytes: concat(entry.chunks, entry.size) }));
}

/** Whether a zip's end-of-central-directory record (PK\5\6) is in its last 65,557 bytes, as it must be. */
function hasEndRecord(data: Uint8Array): boolean {
  for (let at = data.length - 22; at >= Math.max(0, data.length - 65_557); at--) {
    if (data[at] === 0x50 && data[at + 1] === 0x4b && data[at + 2] === 5 && data[at + 3] === 6) return true;
  }
  return false;
}

/** An empty archive is only its end-of-central-directory record. */
function isEmptyZip(data: Uint8Array): boolean {
  return data.length === 22 && data[0] === 0x50 && data[1] === 0x4b && data[2] === 5 && data[3] === 6;
}
