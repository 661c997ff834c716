import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ConnectorError } from './connector-error.ts';
import { type FilePort, FileRef } from './files.ts';

/** One form part: a field (`value`) or a file (`file`); one object (not a union) so expressions type-check per field. */
export const MultipartPart = z.strictObject({
  name: z.string().min(1).max(200).describe('Form field name.'),
  value: z
    .union([z.string(), z.number(), z.boolean()])
    .optional()
    .describe('A plain field value (give `value` or `file`).'),
  file: FileRef.optional().describe('The file to send in this field: a FileRef from a step output.'),
  fileName: z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe("With `file`: the file name sent; default the file's name."),
  contentType: z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe("With `file`: the Content-Type sent; default the file's."),
});
export type MultipartPart = z.infer<typeof MultipartPart>;

/** A body read as it is sent, with its exact length (so Content-Length can be given). */
export type StreamedBody = { stream: ReadableStream<Uint8Array>; length: number; contentType: string };

/** Quotes a name for a Content-Disposition parameter of a form part (RFC 7578: quotes and line breaks escaped). */
function quoted(value: string): string {
  return `"${value.replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22')}"`;
}

/**
 * multipart/form-data (RFC 7578) of plain fields and stored files; each file is opened only when its part is
 * reached, so one piece of one file is in memory at a time.
 */
export async function multipartBody(files: FilePort, parts: readonly MultipartPart[]): Promise<StreamedBody> {
  const boundary = `----vmesh${randomBytes(16).toString('hex')}`;
  const encoder = new TextEncoder();
  type Piece = { bytes: Uint8Array } | { ref: FileRef };
  const pieces: Piece[] = [];
  let length = 0;
  const text = (value: string) => {
    const bytes = encoder.encode(value);
    pieces.push({ bytes });
    length += bytes.byteLength;
  };
  for (const part of parts) {
    if ((part.file === undefined) === (part.value === undefined)) {
      throw new ConnectorError({
        code: 'E_PARAMS',
        message: `The multipart part "${part.name}" needs exactly one of \`value\` and \`file\`.`,
        retryable: false,
        hint: 'Write a field as { "name", "value" } and a file as { "name", "file": "{{ steps.X.output.file }}" }.',
      });
    }
    if (part.file) {
      // Checked before anything is sent: a reference to another run's file fails here, not mid-body.
      const { ref } = await files.read(part.file);
      const name = part.fileName ?? ref.name;
      text(
        `--${boundary}\r\nContent-Disposition: form-data; name=${quoted(part.name)}; filename=${quoted(name)}\r\n` +
          `Content-Type: ${(part.contentType ?? ref.contentType).replace(/[\r\n]/g, '')}\r\n\r\n`,
      );
      pieces.push({ ref });
      length += ref.size;
      text('\r\n');
    } else {
      text(
        `--${boundary}\r\nContent-Disposition: form-data; name=${quoted(part.name)}\r\n\r\n${String(part.value)}\r\n`,
      );
    }
  }
  text(`--${boundary}--\r\n`);
  let index = 0;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        if (reader) {
          const next = await reader.read();
          if (!next.done) {
            controller.enqueue(next.value);
            return;
          }
          reader = undefined;
        }
        const piece = pieces[index];
        index += 1;
        if (!piece) {
          controller.close();
          return;
        }
        if ('bytes' in piece) {
          controller.enqueue(piece.bytes);
          return;
        }
        reader = (await files.read(piece.ref)).stream.getReader();
      }
    },
    async cancel(reason) {
      await reader?.cancel(reason);
    },
  });
  return { stream, length, contentType: `multipart/form-data; boundary=${boundary}` };
}
