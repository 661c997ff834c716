import type { LookupAddress } from 'node:dns';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConnectorError } from './connector-error.ts';
import { blockedAddressReason } from './outbound/blocked-address.ts';
import type { LookupAll } from './outbound/guarded-lookup.ts';
import { createSafeFetch } from './safe-fetch.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let port: number;
let seen: { url: string; headers: IncomingMessage['headers'] }[] = [];
const routes = new Map<string, Handler>();

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    const handler = routes.get((req.url ?? '').split('?')[0] ?? '');
    if (handler) handler(req, res);
    else res.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen = [];
});

/** A DNS stand-in: answers from a table, never touching the network. */
function tableLookup(table: Record<string, string[] | (() => string[])>, calls: string[] = []): LookupAll {
  return (hostname, _options, callback) => {
    calls.push(hostname);
    const entry = table[hostname];
    const addresses = typeof entry === 'function' ? entry() : entry;
    if (!addresses) {
      const error: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
      error.code = 'ENOTFOUND';
      callback(error, []);
      return;
    }
    const answer: LookupAddress[] = addresses.map((address) => ({
      address,
      family: address.includes(':') ? 6 : 4,
    }));
    callback(null, answer);
  };
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<ConnectorError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConnectorError);
  expect((error as ConnectorError).code).toBe(code);
  return error as ConnectorError;
}

describe('blockedAddressReason', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['169.254.169.254', 'linkLocal'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'linkLocal'],
    ['fe80::1%eth0', 'linkLocal'],
    ['fd00:ec2::254', 'uniqueLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'IPv4-mapped IPv6 of a loopback address'],
    ['::ffff:169.254.169.254', 'IPv4-mapped IPv6 of a linkLocal address'],
    ['::ffff:8.8.8.8', 'IPv4-mapped IPv6'],
    ['::7f00:1', 'IPv4-embedding IPv6'],
    ['64:ff9b::7f00:1', 'rfc6052'],
    ['2002:7f00:1::', '6to4'],
    ['[::1]', 'loopback'],
  ])('%s is blocked (%s)', (address, reason) => {
    expect(blockedAddressReason(address)).toBe(reason);
  });

  it.each(['8.8.8.8', '93.184.216.34', '2606:4700:4700::1111'])('%s is a public destination', (address) => {
    expect(blockedAddressReason(address)).toBeUndefined();
  });
});

describe('createSafeFetch', () => {
  it.each([
    '127.0.0.1',
    '127.1',
    '0x7f.1',
    '0x7f000001',
    '2130706433',
    '017700000001',
    '0177.0.0.1',
    '127.0.0.1.',
    '%31%32%37.0.0.1',
    '[::ffff:127.0.0.1]',
    '[0:0:0:0:0:ffff:127.0.0.1]',
    '[::1]',
    '[::127.0.0.1]',
    '0.0.0.0',
    '0',
  ])('blocks http://%s before connecting', async (host) => {
    const safeFetch = createSafeFetch();
    const error = await expectCode(safeFetch(`http://${host}:${port}/secret`), 'E_BLOCKED_DESTINATION');
    expect(error.retryable).toBe(false);
    expect(error.hint).toContain('VMESH_HTTP_ALLOW_HOSTS');
    expect(seen).toHaveLength(0);
  });

  it.each([
    'file:///etc/passwd',
    'ftp://example.com/x',
    'data:text/plain,hello',
    'blob:http://example.com/x',
  ])('refuses the scheme of %s', async (url) => {
    const error = await expectCode(createSafeFetch()(url), 'E_BLOCKED_DESTINATION');
    expect(error.message).toContain('scheme');
  });

  it('blocks a host name that resolves to loopback, and one with any private answer', async () => {
    const safeFetch = createSafeFetch({
      lookup: tableLookup({ 'internal.example': ['127.0.0.1'], 'mixed.example': ['8.8.8.8', '10.1.2.3'] }),
    });
    const one = await expectCode(safeFetch(`http://internal.example:${port}/`), 'E_BLOCKED_DESTINATION');
    expect(one.details).toMatchObject({ host: 'internal.example', address: '127.0.0.1', reason: 'loopback' });
    await expectCode(safeFetch(`http://mixed.example:${port}/`), 'E_BLOCKED_DESTINATION');
    expect(seen).toHaveLength(0);
  });

  it('checks the address it connects to, so DNS rebinding cannot pass', async () => {
    const calls: string[] = [];
    let answers = 0;
    const lookup = tableLookup(
      { 'rebind.example': () => (answers++ === 0 ? ['93.184.216.34'] : ['127.0.0.1']) },
      calls,
    );
    // A validator elsewhere resolves the name first and sees a public address…
    const firstAnswer = await new Promise<LookupAddress[]>((resolve, reject) =>
      lookup('rebind.example', { all: true }, (error, addresses) =>
        error ? reject(error) : resolve(addresses),
      ),
    );
    expect(firstAnswer[0]?.address).toBe('93.184.216.34');
    // …then the attacker's DNS answers loopback: the connection's own resolution is what gets checked.
    const safeFetch = createSafeFetch({ lookup });
    await expectCode(safeFetch(`http://rebind.example:${port}/secret`), 'E_BLOCKED_DESTINATION');
    expect(calls).toEqual(['rebind.example', 'rebind.example']);
    expect(seen).toHaveLength(0);
  });

  it('lets exact allow-listed hosts through, including names resolving to them', async () => {
    const safeFetch = createSafeFetch({
      allowHosts: ['127.0.0.1', 'svc.internal'],
      lookup: tableLookup({ 'svc.internal': ['127.0.0.1'], 'other.internal': ['127.0.0.1'] }),
    });
    const direct = await safeFetch(`http://127.0.0.1:${port}/a`);
    expect(direct.status).toBe(200);
    expect(await direct.text()).toBe('hello');
    const named = await safeFetch(`http://svc.internal:${port}/b`);
    expect(await named.text()).toBe('hello');
    // Allowing 127.0.0.1 does not allow every name that resolves to it.
    await expectCode(safeFetch(`http://other.internal:${port}/c`), 'E_BLOCKED_DESTINATION');
    expect(seen.map((request) => request.url)).toEqual(['/a', '/b']);
  });

  it('re-checks every redirect hop and blocks a redirect to loopback', async () => {
    routes.set('/to-loopback', (_req, res) =>
      res.writeHead(302, { location: `http://[::1]:${port}/secret` }).end(),
    );
    routes.set('/to-decimal', (_req, res) =>
      res.writeHead(307, { location: `http://2130706434:${port}/secret` }).end(),
    );
    routes.set('/to-name', (_req, res) =>
      res.writeHead(301, { location: `http://internal.example:${port}/secret` }).end(),
    );
    const safeFetch = createSafeFetch({
      allowHosts: ['127.0.0.1'],
      lookup: tableLookup({ 'internal.example': ['127.0.0.1'] }),
    });
    await expectCode(safeFetch(`http://127.0.0.1:${port}/to-loopback`), 'E_BLOCKED_DESTINATION');
    await expectCode(safeFetch(`http://127.0.0.1:${port}/to-decimal`), 'E_BLOCKED_DESTINATION');
    await expectCode(safeFetch(`http://127.0.0.1:${port}/to-name`), 'E_BLOCKED_DESTINATION');
    expect(seen.map((request) => request.url)).toEqual(['/to-loopback', '/to-decimal', '/to-name']);
  });

  it('follows allowed redirects, turning POST into GET on 303 and dropping credentials across origins', async () => {
    routes.set('/start', (_req, res) =>
      res.writeHead(303, { location: `http://localhost:${port}/final` }).end(),
    );
    routes.set('/final', (req, res) =>
      res.writeHead(200).end(`${req.method} ${req.headers.authorization ?? 'none'}`),
    );
    const safeFetch = createSafeFetch({
      allowHosts: ['127.0.0.1', 'localhost'],
      lookup: tableLookup({ localhost: ['127.0.0.1'] }),
    });
    const response = await safeFetch(`http://127.0.0.1:${port}/start`, {
      method: 'POST',
      body: 'x',
      headers: { authorization: 'Bearer secret' },
    });
    expect(await response.text()).toBe('GET none');
    expect(response.redirected).toBe(true);
    expect(response.url).toBe(`http://localhost:${port}/final`);
  });

  it('stops after maxRedirects', async () => {
    routes.set('/loop', (_req, res) => res.writeHead(302, { location: '/loop' }).end());
    const safeFetch = createSafeFetch({ allowHosts: ['127.0.0.1'], maxRedirects: 3 });
    await expectCode(safeFetch(`http://127.0.0.1:${port}/loop`), 'E_TOO_MANY_REDIRECTS');
    expect(seen).toHaveLength(4);
  });

  it('caps the response size while streaming and by Content-Length', async () => {
    routes.set('/big-stream', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(64 * 1024, 1);
      let sent = 0;
      const write = () => {
        while (sent < 64 && res.write(chunk)) sent++;
        if (sent < 64) res.once('drain', write);
        else res.end();
      };
      write();
    });
    routes.set('/big-declared', (_req, res) => {
      res.writeHead(200, { 'content-length': String(2 * 1024 * 1024) });
      res.end(Buffer.alloc(2 * 1024 * 1024));
    });
    const safeFetch = createSafeFetch({ allowHosts: ['127.0.0.1'], maxResponseBytes: 1024 * 1024 });
    const response = await safeFetch(`http://127.0.0.1:${port}/big-stream`);
    expect(response.status).toBe(200);
    await expectCode(response.arrayBuffer(), 'E_RESPONSE_TOO_LARGE');
    await expectCode(safeFetch(`http://127.0.0.1:${port}/big-declared`), 'E_RESPONSE_TOO_LARGE');
    const small = await safeFetch(`http://127.0.0.1:${port}/small`);
    expect(await small.text()).toBe('hello');
  });

  it('caps the total time with a retryable timeout error', async () => {
    routes.set('/hang', () => {});
    const safeFetch = createSafeFetch({ allowHosts: ['127.0.0.1'], timeoutMs: 150 });
    const error = await expectCode(safeFetch(`http://127.0.0.1:${port}/hang`), 'E_TIMEOUT');
    expect(error.retryable).toBe(true);
  });

  it('passes the caller’s abort through unchanged', async () => {
    routes.set('/hang', () => {});
    const controller = new AbortController();
    const safeFetch = createSafeFetch({ allowHosts: ['127.0.0.1'] });
    const pending = safeFetch(`http://127.0.0.1:${port}/hang`, { signal: controller.signal });
    controller.abort(new Error('cancelled by run'));
    await expect(pending).rejects.toThrow('cancelled by run');
  });
});
