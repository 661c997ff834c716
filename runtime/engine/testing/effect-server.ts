import { createServer, type IncomingMessage, type Server } from 'node:http';

export type EffectServer = {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  /** Every request that arrived, replays included. */
  requests(): number;
  /** Requests per Idempotency-Key (a key seen more than once was sent again and answered from the record). */
  requestsByKey(): ReadonlyMap<string, number>;
  /** Effects performed: one per distinct key, plus one per request that carried no key. */
  effects(): number;
  /** Requests without an Idempotency-Key (each one performed its effect). */
  unkeyed(): number;
  close(): Promise<void>;
};

/**
 * A local HTTP API with a side effect that honours `Idempotency-Key` the way payment APIs do: the first request
 * with a key performs the effect and stores the answer; a later request with the same key gets the stored answer
 * and performs nothing. `beforeAnswer` runs after the effect and before the answer is sent, so a test can hold
 * answers (e.g. while it restarts the database the caller will record the result in).
 */
export async function startEffectServer(
  options: { beforeAnswer?(request: { key: string | undefined; path: string }): void | Promise<void> } = {},
): Promise<EffectServer> {
  let requests = 0;
  let unkeyed = 0;
  const byKey = new Map<string, number>();
  const answers = new Map<string, string>();
  const handle = async (request: IncomingMessage): Promise<{ body: string; replayed: boolean }> => {
    for await (const _chunk of request) {
      // The body is not needed; reading it lets the connection be reused.
    }
    requests += 1;
    const header = request.headers['idempotency-key'];
    const key = typeof header === 'string' && header.length > 0 ? header : undefined;
    const path = request.url ?? '/';
    if (key) byKey.set(key, (byKey.get(key) ?? 0) + 1);
    else unkeyed += 1;
    const stored = key ? answers.get(key) : undefined;
    if (stored !== undefined) return { body: stored, replayed: true };
    const body = JSON.stringify({ effect: answers.size + unkeyed, path, key: key ?? null });
    if (key) answers.set(key, body);
    await options.beforeAnswer?.({ key, path });
    return { body, replayed: false };
  };
  const server: Server = createServer((request, response) => {
    handle(request).then(
      ({ body, replayed }) => {
        response.writeHead(200, {
          'content-type': 'application/json',
          ...(replayed ? { 'idempotent-replayed': 'true' } : {}),
        });
        response.end(body);
      },
      () => response.destroy(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    requestsByKey: () => byKey,
    effects: () => answers.size + unkeyed,
    unkeyed: () => unkeyed,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
