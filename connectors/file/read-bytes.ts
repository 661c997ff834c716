import { fileLimitError } from './file-errors.ts';

/** The whole stream as one buffer, failing with E_FILE_LIMIT (and cancelling the stream) past `limit` bytes. */
export async function readBytes(
  stream: ReadableStream<Uint8Array>,
  limit: number,
  name: string,
  format: string,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = stream.getReader();
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      size += next.value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => {});
        throw fileLimitError(
          'file.extract',
          `"${name}" is larger than ${limit} bytes, the most a ${format} file is read into memory for.`,
          'Extract from a smaller file, or split it before it reaches the workflow (csv and text are read as a stream and have no such limit).',
          limit,
        );
      }
      chunks.push(next.value);
    }
  } finally {
    reader.releaseLock();
  }
  return new Uint8Array(Buffer.concat(chunks));
}
