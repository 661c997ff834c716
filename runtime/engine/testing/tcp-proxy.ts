import { createServer, type Server, Socket } from 'node:net';

export type TcpProxy = {
  /** The port clients connect to; it stays the same when the target moves. */
  port: number;
  /** Sends new connections to another port (e.g. a restarted server). Open connections are not moved. */
  retarget(port: number): void;
  /** Connections made through the proxy so far (each client socket counts once). */
  connections(): number;
  close(): Promise<void>;
};

/**
 * A TCP proxy on 127.0.0.1 in front of a local server, so clients keep one address while the server behind it
 * is restarted on another port. A connection lives as long as both its ends do: when the server closes its side
 * the client sees that at once, and a connection attempt while the server is down is refused (closed).
 */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let target = targetPort;
  let opened = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    opened += 1;
    const upstream = new Socket();
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    upstream.connect(target, '127.0.0.1');
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    retarget(next) {
      target = next;
    },
    connections: () => opened,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
