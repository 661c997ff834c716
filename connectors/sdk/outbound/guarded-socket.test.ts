import type { LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHostAllowList } from './allow-hosts.ts';
import type { LookupAll } from './guarded-lookup.ts';
import { createGuardedSocketOpener, socketOpenerOf } from './guarded-socket.ts';

let server: Server;
let port = 0;
let accepted = 0;

beforeAll(async () => {
  server = createServer((socket) => {
    accepted++;
    socket.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** A DNS stand-in answering from a table (every answer counted), never touching the network. */
function tableLookup(table: Record<string, string[]>, calls: string[] = []): LookupAll {
  return (hostname, _options, callback) => {
    calls.push(hostname);
    const answer: LookupAddress[] = (table[hostname] ?? []).map((address) => ({
      address,
      family: address.includes(':') ? 6 : 4,
    }));
    callback(null, answer);
  };
}

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'connected',
    (error: { code?: string }) => error.code,
  );

describe('the guarded socket opener', () => {
  it('refuses blocked IP literals, unix paths and names that resolve to a blocked address; connects nowhere', async () => {
    const calls: string[] = [];
    const open = createGuardedSocketOpener({
      isAllowedHost: () => false,
      lookup: tableLookup({ 'mail.internal.example': ['10.0.0.5'], 'db.example': ['127.0.0.1'] }, calls),
    });
    for (const host of [
      '127.0.0.1',
      '169.254.169.254',
      '[::1]',
      '::ffff:127.0.0.1',
      '0.0.0.0',
      '/var/run/pg',
    ]) {
      expect(await codeOf(open({ host, port })), host).toBe('E_BLOCKED_DESTINATION');
    }
    // A name is checked on the address it resolves to, the one the socket would connect to.
    expect(await codeOf(open({ host: 'mail.internal.example', port }))).toBe('E_BLOCKED_DESTINATION');
    expect(await codeOf(open({ host: 'db.example', port }))).toBe('E_BLOCKED_DESTINATION');
    expect(calls).toEqual(['mail.internal.example', 'db.example']);
    expect(accepted).toBe(0);
  });

  it('connects to an allowed host, and to the checked address of a name on the allow-list', async () => {
    const open = createGuardedSocketOpener({
      isAllowedHost: createHostAllowList(['127.0.0.1', 'local.test']),
      lookup: tableLookup({ 'local.test': ['127.0.0.1'] }),
    });
    for (const host of ['127.0.0.1', 'local.test']) {
      const socket = await open({ host, port });
      expect(socket.remoteAddress).toBe('127.0.0.1');
      socket.destroy();
    }
  });

  it('without a configured opener a connector gets the strictest one (nothing allowed)', async () => {
    expect(await codeOf(socketOpenerOf({})({ host: '127.0.0.1', port }))).toBe('E_BLOCKED_DESTINATION');
  });
});
