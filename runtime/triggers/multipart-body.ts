import { createWriteStream, openAsBlob } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Busboy, type BusboyInstance } from '@fastify/busboy';
import { err, ok, type Result } from '../../lib/index.ts';
import { hookText } from './webhook-json.ts';

/** Caps on a multipart body besides the file store's sizes (VMESH_FILE_MAX_BYTES, VMESH_UPLOAD_MAX_BYTES). */
export const MULTIPART_LIMITS = {
  /** Parts (text fields and files together) one request may hold. */
  parts: 100,
  /** The longest text field, in bytes. */
  fieldBytes: 64 * 1024,
  /** All text fields together, in bytes (what a JSON body may be). */
  fieldsBytes: 1024 * 1024,
  /** The longest part (field) name. */
  nameChars: 200,
} as const;

export type MultipartLimits = {
  /** Largest single file (the file store's VMESH_FILE_MAX_BYTES). */
  maxFileBytes: number;
  /** Largest whole request (VMESH_UPLOAD_MAX_BYTES, at most the run's VMESH_RUN_FILES_MAX_BYTES). */
  maxRequestBytes: number;
};

/** A file part of a request, held until the run it belongs to exists. */
export type UploadedFile = { field: string; name: string; contentType: string; size: number; body: Blob };

/** A parsed multipart body: text fields (a name sent twice gives a list) and the file parts in order. */
export type MultipartBody = { fields: Record<string, string | string[]>; files: UploadedFile[] };

/** Why a multipart body is refused: 413 for a cap, 400 for a body that is not multipart. */
export type MultipartRefusal = {
  status: 400 | 413;
  code: 'E_FILE_TOO_LARGE' | 'E_BAD_MULTIPART';
  message: string;
  hint: string;
  details?: { limit: string; limitBytes?: number; limitCount?: number };
};

export function isMultipart(contentType: string): boolean {
  return /^multipart\/form-data\s*(;|$)/i.test(contentType.trim());
}

/** The boundary of a multipart/form-data content type (quoted or not), or undefined. */
export function boundaryOf(contentType: string): string | undefined {
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

export function requestTooLarge(limit: number): MultipartRefusal {
  return {
    status: 413,
    code: 'E_FILE_TOO_LARGE',
    message: `The request is larger than the limit of ${limit} bytes for one upload; nothing was stored.`,
    hint: `Send fewer or smaller files per request, or raise VMESH_UPLOAD_MAX_BYTES (now ${limit}) on the server.`,
    details: { limit: 'VMESH_UPLOAD_MAX_BYTES', limitBytes: limit },
  };
}

const tooLarge = (message: string, hint: string, details: MultipartRefusal['details']): MultipartRefusal => ({
  status: 413,
  code: 'E_FILE_TOO_LARGE',
  message,
  hint,
  details,
});

export const BAD_MULTIPART: Omit<MultipartRefusal, 'status'> & { status: 400 } = {
  status: 400,
  code: 'E_BAD_MULTIPART',
  message: 'The body is not valid multipart/form-data.',
  hint: 'Send multipart/form-data with the boundary named in the content type (curl -F name=@file does).',
};

/** A file input left empty in a browser form: no name and no bytes. */
const emptyInput = (name: string, size: number) => name === '' && size === 0;

/**
 * Reads a multipart/form-data body as a stream with busboy, writing each file part to its own file in `dir` (the
 * request's spool folder) while it arrives, so neither the body nor a file sits whole in memory; the parts come
 * back as file-backed Blobs. Caps: MULTIPART_LIMITS and `maxFileBytes` per file, each → 413 E_FILE_TOO_LARGE
 * naming the cap, checked as the bytes come (parsing stops at the first). A file input left empty is no file.
 * `__proto__` names are dropped; NUL in text becomes U+FFFD (Postgres cannot store it).
 */
export async function parseMultipart(
  body: Readable,
  contentType: string,
  limits: MultipartLimits & { size: number; dir: string },
): Promise<Result<MultipartBody, MultipartRefusal>> {
  if (limits.size > limits.maxRequestBytes) return err(requestTooLarge(limits.maxRequestBytes));
  if (!boundaryOf(contentType)) return err(BAD_MULTIPART);
  const fields = new Map<string, string | string[]>();
  // Each file keeps its place in the request although its write may finish after a later one's.
  const files: (UploadedFile | undefined)[] = [];
  const writes: Promise<void>[] = [];
  const open = new Set<Readable>();
  let fieldsBytes = 0;
  let refusal: MultipartRefusal | undefined;
  let parser: BusboyInstance;
  try {
    parser = Busboy({
      headers: { 'content-type': contentType },
      limits: {
        parts: MULTIPART_LIMITS.parts,
        fieldSize: MULTIPART_LIMITS.fieldBytes,
        fieldNameSize: MULTIPART_LIMITS.nameChars,
        fileSize: limits.maxFileBytes,
      },
    });
  } catch {
    return err(BAD_MULTIPART);
  }
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const refuse = (why: MultipartRefusal) => {
    refusal ??= why;
    body.unpipe(parser);
    body.destroy();
    for (const stream of open) stream.destroy();
    parser.removeAllListeners('file');
    parser.removeAllListeners('field');
    done();
  };
  parser.on('field', (name, value, nameTruncated, valueTruncated) => {
    if (nameTruncated) return refuse(nameTooLong());
    if (name === '__proto__') return;
    const bytes = Buffer.byteLength(value);
    fieldsBytes += bytes;
    if (valueTruncated || fieldsBytes > MULTIPART_LIMITS.fieldsBytes)
      return refuse(fieldTooLarge(name, valueTruncated));
    const text = hookText(Buffer.from(value));
    const before = fields.get(name);
    fields.set(name, before === undefined ? text : [...(Array.isArray(before) ? before : [before]), text]);
  });
  parser.on('file', (name, stream, fileName, _encoding, mimeType) => {
    if (name.length > MULTIPART_LIMITS.nameChars) {
      stream.resume();
      return refuse(nameTooLong());
    }
    const slot = files.length;
    files.push(undefined);
    const path = join(limits.dir, `part-${slot}`);
    open.add(stream);
    writes.push(
      pipeline(stream, createWriteStream(path, { mode: 0o600 })).then(async () => {
        open.delete(stream);
        if (stream.truncated) return refuse(fileTooLarge(fileName, limits.maxFileBytes));
        if (name === '__proto__' || emptyInput(fileName, stream.bytesRead)) return;
        const blob = await openAsBlob(path, { type: mimeType });
        files[slot] = { field: name, name: fileName, contentType: mimeType, size: blob.size, body: blob };
      }),
    );
  });
  parser.on('partsLimit', () => refuse(tooManyParts()));
  parser.on('error', () => refuse(BAD_MULTIPART));
  parser.on('finish', () => done());
  body.on('error', () => refuse(BAD_MULTIPART));
  body.pipe(parser);
  await finished;
  const written = await Promise.allSettled(writes);
  if (refusal) return err(refusal);
  if (written.some((result) => result.status === 'rejected')) return err(BAD_MULTIPART);
  return ok({ fields: Object.fromEntries(fields), files: files.filter((file) => file !== undefined) });
}

function nameTooLong(): MultipartRefusal {
  return tooLarge(
    `A part name is longer than ${MULTIPART_LIMITS.nameChars} characters; nothing was stored.`,
    'Use short field names.',
    { limit: 'nameChars', limitCount: MULTIPART_LIMITS.nameChars },
  );
}

function fieldTooLarge(name: string, single: boolean): MultipartRefusal {
  return tooLarge(
    `The text field "${name.slice(0, 80)}" takes the text fields over ${single ? `${MULTIPART_LIMITS.fieldBytes} bytes for one field` : `${MULTIPART_LIMITS.fieldsBytes} bytes in all`}; nothing was stored.`,
    'Send long text as a file part (with a filename) instead of a text field.',
    single
      ? { limit: 'fieldBytes', limitBytes: MULTIPART_LIMITS.fieldBytes }
      : { limit: 'fieldsBytes', limitBytes: MULTIPART_LIMITS.fieldsBytes },
  );
}

function tooManyParts(): MultipartRefusal {
  return tooLarge(
    `The request has more than ${MULTIPART_LIMITS.parts} parts; nothing was stored.`,
    `Send at most ${MULTIPART_LIMITS.parts} fields and files per request.`,
    { limit: 'parts', limitCount: MULTIPART_LIMITS.parts },
  );
}

function fileTooLarge(name: string, limit: number): MultipartRefusal {
  return tooLarge(
    `The file "${name.slice(0, 120)}" is larger than the limit of ${limit} bytes for one file; nothing was stored.`,
    `Send a smaller file, or raise VMESH_FILE_MAX_BYTES (now ${limit}) on the server.`,
    { limit: 'VMESH_FILE_MAX_BYTES', limitBytes: limit },
  );
}
