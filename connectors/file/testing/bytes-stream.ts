/** A file body as the store hands it over: a web stream, here in chunks of at most `chunk` bytes. */
export function bytesStream(bytes: Uint8Array | string, chunk = 64 * 1024): ReadableStream<Uint8Array> {
  const data = typeof bytes === 'string' ? new Uint8Array(Buffer.from(bytes, 'utf8')) : bytes;
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= data.byteLength) {
        controller.close();
        return;
      }
      controller.enqueue(data.slice(offset, offset + chunk));
      offset += chunk;
    },
  });
}
