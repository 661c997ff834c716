import { ConnectorError } from '../connector-error.ts';

export function responseTooLargeError(limit: number, url: string): ConnectorError {
  return new ConnectorError({
    code: 'E_RESPONSE_TOO_LARGE',
    message: `The response from ${url} is larger than ${limit} bytes; reading stopped.`,
    retryable: false,
    hint: 'Ask for less data (filters, pagination, a smaller page size) or fetch a smaller resource.',
    details: { limitBytes: limit },
  });
}

/**
 * Wraps a response body so that reading past `limit` bytes fails with E_RESPONSE_TOO_LARGE and
 * aborts the underlying request; other read failures pass through `translate`.
 */
export function capBody(
  upstream: ReadableStream<Uint8Array>,
  options: {
    limit: number;
    url: string;
    abort: (reason: unknown) => void;
    translate: (error: unknown) => unknown;
    /** Called once the body is finished, failed or cancelled. */
    onSettled?: () => void;
  },
): ReadableStream<Uint8Array> {
  const reader = upstream.getReader();
  let received = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        controller.error(options.translate(error));
        options.onSettled?.();
        return;
      }
      if (chunk.done) {
        controller.close();
        options.onSettled?.();
        return;
      }
      received += chunk.value.byteLength;
      if (received > options.limit) {
        const error = responseTooLargeError(options.limit, options.url);
        controller.error(error);
        options.abort(error);
        await reader.cancel(error).catch(() => {});
        options.onSettled?.();
        return;
      }
      controller.enqueue(chunk.value);
    },
    async cancel(reason) {
      await reader.cancel(reason).catch(() => {});
      options.onSettled?.();
    },
  });
}
