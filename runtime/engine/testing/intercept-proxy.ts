import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';

export type InterceptProxy = { url: string; close(): Promise<void> };

/**
 * An HTTP proxy in front of a fake server. For requests `match` selects, the request is forwarded (the
 * side effect happens at the fake) and then `afterForward` runs before the answer goes back, e.g. to kill
 * the worker that sent it, so it dies after the effect and before it can record the result.
 */
export async function startInterceptProxy(options: {
  target: string;
  match(request: IncomingMessage): boolean;
  /** Runs before the request is forwarded; the request is then dropped (the effect never happens). */
  beforeForward?(): void | Promise<void>;
  afterForward?(): void | Promise<void>;
}): Promise<InterceptProxy> {
  const target = new URL(options.target);
  const server: Server = createServer((request, response) => {
    const intercept = options.match(request);
    if (intercept && options.beforeForward) {
      void Promise.resolve(options.beforeForward()).finally(() => response.destroy());
      return;
    }
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: request.method,
        path: request.url,
        headers: { ...request.headers, host: target.host },
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          void (async () => {
            if (intercept) await options.afterForward?.();
            if (response.destroyed) return;
            response.writeHead(answer.statusCode ?? 502, answer.headers);
            response.end(Buffer.concat(chunks));
          })().catch(() => response.destroy());
        });
      },
    );
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}${target.pathname}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
