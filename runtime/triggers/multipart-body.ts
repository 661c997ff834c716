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

/** How many parts the raw body holds: delimiters (`--<boundary>` at a line start) minus the closing one. */
function countParts(raw: Buffer, boundary: string): number {
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  let count = raw.subarray(0, delimiter.length - 2).equals(delimiter.subarray(2)) ? 1 : 0;
  for (let at = raw.indexOf(delimiter); at !== -1; at = raw.indexOf(delimiter, at + delimiter.length))
    count++;
  return Math.max(0, count - 1);
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

const BAD_MULTIPART: MultipartRefusal = {
  status: 400,
  code: 'E_BAD_MULTIPART',
  message: 'The body is not valid multipart/form-data.',
  hint: 'Send multipart/form-data with the boundary named in the content type (curl -F name=@file does).',
};

/**
 * Reads a buffered multipart/form-data body (at most `maxRequestBytes`, the route's cap) with the platform's own
 * parser (undici's, behind `Response.formData()`), after counting its parts in the raw bytes so a body of many tiny
 * parts is refused before it is parsed. Caps: MULTIPART_LIMITS and `maxFileBytes` per file, each → 413
 * E_FILE_TOO_LARGE naming the cap. A file input left empty (no name, no bytes) is no file. `__proto__` names are
 * dropped; NUL in text becomes U+FFFD (Postgres cannot store it).
 */
export async function parseMultipart(
  raw: Buffer,
  contentType: string,
  limits: MultipartLimits,
): Promise<Result<MultipartBody, MultipartRefusal>> {
  if (raw.length > limits.maxRequestBytes) return err(requestTooLarge(limits.maxRequestBytes));
  const boundary = boundaryOf(contentType);
  if (!boundary) return err(BAD_MULTIPART);
  if (countParts(raw, boundary) > MULTIPART_LIMITS.parts) {
    return err(
      tooLarge(
        `The request has more than ${MULTIPART_LIMITS.parts} parts; nothing was stored.`,
        `Send at most ${MULTIPART_LIMITS.parts} fields and files per request.`,
        { limit: 'parts', limitCount: MULTIPART_LIMITS.parts },
      ),
    );
  }
  let form: FormData;
  try {
    form = await new Response(raw as Uint8Array<ArrayBuffer>, {
      headers: { 'content-type': contentType },
    }).formData();
  } catch {
    return err(BAD_MULTIPART);
  }
  const fields = new Map<string, string | string[]>();
  const files: UploadedFile[] = [];
  let fieldsBytes = 0;
  for (const [name, value] of form) {
    if (name === '__proto__') continue;
    if (name.length > MULTIPART_LIMITS.nameChars) {
      return err(
        tooLarge(
          `A part name is longer than ${MULTIPART_LIMITS.nameChars} characters; nothing was stored.`,
          'Use short field names.',
          { limit: 'nameChars', limitCount: MULTIPART_LIMITS.nameChars },
        ),
      );
    }
    if (typeof value === 'string') {
      const bytes = Buffer.byteLength(value);
      fieldsBytes += bytes;
      if (bytes > MULTIPART_LIMITS.fieldBytes || fieldsBytes > MULTIPART_LIMITS.fieldsBytes) {
        return err(
          tooLarge(
            `The text field "${name.slice(0, 80)}" takes the text fields over ${bytes > MULTIPART_LIMITS.fieldBytes ? `${MULTIPART_LIMITS.fieldBytes} bytes for one field` : `${MULTIPART_LIMITS.fieldsBytes} bytes in all`}; nothing was stored.`,
            'Send long text as a file part (with a filename) instead of a text field.',
            bytes > MULTIPART_LIMITS.fieldBytes
              ? { limit: 'fieldBytes', limitBytes: MULTIPART_LIMITS.fieldBytes }
              : { limit: 'fieldsBytes', limitBytes: MULTIPART_LIMITS.fieldsBytes },
          ),
        );
      }
      const text = hookText(Buffer.from(value));
      const before = fields.get(name);
      fields.set(name, before === undefined ? text : [...(Array.isArray(before) ? before : [before]), text]);
      continue;
    }
    if (value.name === '' && value.size === 0) continue;
    if (value.size > limits.maxFileBytes) {
      return err(
        tooLarge(
          `The file "${value.name.slice(0, 120)}" is larger than the limit of ${limits.maxFileBytes} bytes for one file; nothing was stored.`,
          `Send a smaller file, or raise VMESH_FILE_MAX_BYTES (now ${limits.maxFileBytes}) on the server.`,
          { limit: 'VMESH_FILE_MAX_BYTES', limitBytes: limits.maxFileBytes },
        ),
      );
    }
    files.push({ field: name, name: value.name, contentType: value.type, size: value.size, body: value });
  }
  return ok({ fields: Object.fromEntries(fields), files });
}
