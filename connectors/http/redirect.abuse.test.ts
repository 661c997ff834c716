import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';
import { createSafeFetch } from '../sdk/safe-fetch.ts';
import { runAction, runActionError } from '../testing/run-action.ts';
import { httpConnector } from './connector.ts';

// Two servers on two origins (127.0.0.1, two ports): the first redirects to the second, which records what it
// got. A credential must not follow a redirect that leaves the origin, whatever header carries it, and a
// credential the first server copies into the Location's query string is dropped too.

type Seen = { server: 'first' | 'second'; url: string; headers: IncomingMessage['headers'] };
let seen: Seen[] = [];
let first: Server;
let second: Server;
let firstUrl = '';
let secondUrl = '';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  first = createServer((req, res) => {
    seen.push({ server: 'first', url: req.url ?? '', headers: req.headers });
    const url = new URL(req.url ?? '/', firstUrl);
    if (url.pathname === '/same-origin') return res.writeHead(302, { location: '/landing' }).end();
    if (url.pathname === '/landing') return res.writeHead(200).end('landed');
    // Copies the token from its own path into the Location's path, on another origin.
    const bot = /^\/bot([^/]+)\/go$/.exec(url.pathname);
    if (bot) return res.writeHead(302, { location: `${secondUrl}/bot${bot[1]}/collect` }).end();
    // Copies the request's key into the Location, as a careless "redirect with the same parameters" would.
    const key = String(req.headers['x-api-key'] ?? url.searchParams.get('key') ?? '');
    res.writeHead(307, { location: `${secondUrl}/collect?key=${encodeURIComponent(key)}&page=2` }).end();
  });
  second = createServer((req, res) => {
    seen.push({ server: 'second', url: req.url ?? '', headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  firstUrl = await listen(first);
  secondUrl = await listen(second);
});
afterAll(async () => {
  await new Promise((resolve) => first.close(resolve));
  await new Promise((resolve) => second.close(resolve));
});
beforeEach(() => {
  seen = [];
});

const env: ConnectorEnvironment = {
  baseUrls: {},
  fetch: createSafeFetch({ allowHosts: ['127.0.0.1'] }),
  logger: createLogger({ level: 'silent' }),
};

const secondRequest = () => {
  const hit = seen.find((entry) => entry.server === 'second');
  if (!hit) throw new Error('the redirect was not followed');
  return hit;
};

describe('http.request: no credential follows a cross-origin redirect', () => {
  it('a custom-header credential (X-Api-Key) is dropped, and so is its copy in the Location query', async () => {
    const key = `key-${Math.random().toString(36).slice(2)}-custom`;
    await runAction(
      httpConnector,
      'request',
      { url: `${firstUrl}/start`, headers: { 'x-trace': 'trace-1' } },
      { env, credential: { scheme: 'header', name: 'X-Api-Key', value: key } },
    );
    expect(seen[0]?.headers['x-api-key']).toBe(key);
    const hit = secondRequest();
    expect(hit.headers['x-api-key']).toBeUndefined();
    expect(hit.url).not.toContain(encodeURIComponent(key));
    expect(JSON.stringify(hit)).not.toContain(key);
    // What carries no credential still goes: the other header and query parameter.
    expect(hit.headers['x-trace']).toBe('trace-1');
    expect(hit.url).toContain('page=2');
  });

  it('a bearer and a basic credential are dropped', async () => {
    for (const credential of [
      { scheme: 'bearer', token: 'bearer-token-for-redirect-test' },
      { scheme: 'basic', username: 'ada', password: 'redirect-password' },
    ]) {
      seen = [];
      await runAction(httpConnector, 'request', { url: `${firstUrl}/start` }, { env, credential });
      expect(seen[0]?.headers.authorization).toBeDefined();
      expect(secondRequest().headers.authorization).toBeUndefined();
    }
  });

  it('a header the caller put a known secret in is dropped even without being named', async () => {
    const token = `named-nowhere-${Math.random().toString(36).slice(2)}`;
    // Registered the way the engine registers a credential it decrypts.
    await runAction(
      httpConnector,
      'request',
      { url: `${firstUrl}/landing` },
      { env, credential: { scheme: 'bearer', token } },
    );
    seen = [];
    await env.fetch(`${firstUrl}/start?key=${encodeURIComponent(token)}`, {
      headers: { 'x-forwarded-secret': `Token ${token}`, 'x-trace': 'ok' },
    });
    const hit = secondRequest();
    expect(hit.headers['x-forwarded-secret']).toBeUndefined();
    expect(hit.headers['x-trace']).toBe('ok');
    expect(hit.url).not.toContain(token);
  });

  it('an api-key-query credential copied into the Location query is dropped', async () => {
    const key = `query-${Math.random().toString(36).slice(2)}-key`;
    await runAction(
      httpConnector,
      'request',
      { url: `${firstUrl}/start` },
      { env, credentialType: 'api-key-query', credential: { name: 'key', value: key } },
    );
    expect(seen[0]?.url).toContain(`key=${key}`);
    const hit = secondRequest();
    expect(hit.url).not.toContain(key);
    expect(hit.url).toContain('page=2');
  });

  it('a url-token redirect that would carry the token to another origin is refused', async () => {
    const token = `123456:AAH-${Math.random().toString(36).slice(2)}`;
    const error = await runActionError(
      httpConnector,
      'request',
      { url: `${firstUrl}/bot{token}/go` },
      { env, credentialType: 'url-token', credential: { token } },
    );
    expect(error).toMatchObject({ code: 'E_REDIRECT' });
    expect(JSON.stringify(error)).not.toContain(token);
    expect(String((error as Error).message)).not.toContain(token);
    expect(seen.some((entry) => entry.server === 'second')).toBe(false);
  });

  it('a same-origin redirect keeps the credential', async () => {
    const key = 'same-origin-key-12345';
    await runAction(
      httpConnector,
      'request',
      { url: `${firstUrl}/same-origin` },
      { env, credential: { scheme: 'header', name: 'X-Api-Key', value: key } },
    );
    expect(seen.map((entry) => [entry.url, entry.headers['x-api-key']])).toEqual([
      ['/same-origin', key],
      ['/landing', key],
    ]);
  });
});
