import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, createUser, ensureLocalOwner } from '../access/index.ts';
import { mintApprovalLink } from '../agent/approval-links.ts';
import { insertProposal } from '../agent/conversation-store.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { contentHash } from '../runtime/index.ts';
import { signHookBody } from '../runtime/triggers/webhook-verify.ts';
import { parseServerConfig } from './config.ts';
import { type RunningApp, startApp } from './start.ts';
import { rawRequest } from './testing/raw-http.ts';
import { CookieJar } from './web-auth/testing/browser-jar.ts';
import { signInWithLink } from './web-auth/testing/link-sign-in.ts';

// DNS rebinding and cross-site requests against the default server (HOST=127.0.0.1, no token), over real HTTP:
// a page on evil.example that rebinds its name to 127.0.0.1 sends Host: evil.example; a page on another site
// calling this server sends its own Origin. Neither reaches any route but /healthz. And nothing is open without a
// credential: a local process (or another user of the machine) with the right Host gets 401, not the owner.
let db: TestDatabase;
let local: RunningApp;
/** A server behind a reverse proxy: VMESH_PUBLIC_URL is its public name, so it must have a token. */
let proxied: RunningApp;
const token = 'proxied-token-0123456789abcdef';
const json = { 'content-type': 'application/json' };
let hook: { id: string; secret: string };
let port: string;
/** What the tokenless server printed at start (the owner's one-time sign-in link). */
let announced = '';
/** A per-user token of the local owner: how these tests reach the tokenless server's routes as someone. */
let owner: Record<string, string>;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 8 });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: db.url,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    VMESH_NO_WORKER: '1',
    VMESH_SECRET_KEY: Buffer.alloc(32, 17).toString('base64'),
  };
  delete env.VMESH_API_TOKEN;
  delete env.VMESH_PUBLIC_URL;
  local = await startApp(env, { announce: (text) => (announced += text) });
  proxied = await startApp(
    { ...env, VMESH_API_TOKEN: token, VMESH_PUBLIC_URL: 'https://vmesh.example.com' },
    { announce: (text) => (announced += text) },
  );
  port = new URL(local.url).port;
  const localOwner = await ensureLocalOwner(db.sql, 'cli');
  const minted = await createToken(db.sql, localOwner, { userId: localOwner.userId, name: 'reach-test' });
  owner = { authorization: `Bearer ${minted.token}` };
  const created = await fetch(`${local.url}/api/workflows`, {
    method: 'POST',
    headers: { ...json, ...owner },
    body: JSON.stringify({
      document: {
        schemaVersion: 1,
        name: 'reach',
        trigger: { type: 'webhook' },
        nodes: [{ id: 'a', uses: 'core.transform', with: { value: 1 } }],
        edges: [],
      },
    }),
  });
  const { id } = (await created.json()) as { id: string };
  await fetch(`${local.url}/api/workflows/${id}/activate`, { method: 'POST', headers: owner });
  const shown = (await (await fetch(`${local.url}/api/workflows/${id}`, { headers: owner })).json()) as {
    hook: { secret: string };
  };
  hook = { id, secret: shown.hook.secret };
}, 60_000);
afterAll(async () => {
  await proxied?.stop();
  await local?.stop();
  await db?.drop();
});

type Probe = {
  family: string;
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
};
const mcpInitialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'abuse', version: '1' } },
});
/** One request per route family a browser can reach, each one that the server answers 2xx from its own page. */
const probes = (): Probe[] => [
  { family: 'api', method: 'GET', path: '/api/workflows', headers: owner },
  { family: 'chat api', method: 'GET', path: '/chat/api/workflows', headers: owner },
  { family: 'page', method: 'GET', path: '/' },
  {
    family: 'hook',
    method: 'POST',
    path: `/hooks/${hook.id}`,
    body: '{}',
    headers: { ...json, ...signHookBody(hook.secret, '{}') },
  },
  {
    family: 'mcp',
    method: 'POST',
    path: '/mcp',
    body: mcpInitialize,
    headers: { ...json, accept: 'application/json, text/event-stream', ...owner },
  },
];
const send = (probe: Probe, headers: Record<string, string>) =>
  rawRequest(local.url, {
    method: probe.method,
    path: probe.path,
    body: probe.body,
    headers: { ...probe.headers, ...headers },
  });

describe('Host and Origin (DNS rebinding, cross-site requests)', () => {
  it('a foreign Host gets 403 on every route family, also spelled oddly and on unknown paths', async () => {
    for (const probe of [
      ...probes(),
      { family: 'encoded api', method: 'GET', path: '/%61pi/workflows' },
      { family: 'unknown', method: 'GET', path: '/nothing-here' },
    ]) {
      for (const host of [
        'evil.example',
        `evil.example:${port}`,
        `127.0.0.1.evil.example:${port}`,
        `127.0.0.1:1`,
      ]) {
        const response = await send(probe, { host });
        expect(response.status, `${probe.family} with Host ${host}`).toBe(403);
      }
    }
    // Health checks come from probes that may use any name.
    expect(
      (await rawRequest(local.url, { path: '/healthz', headers: { host: 'evil.example' } })).status,
    ).toBe(200);
  });

  it('a foreign Origin gets 403 on every route family, a hook included (however well signed)', async () => {
    for (const probe of probes()) {
      for (const origin of [
        'http://evil.example',
        `http://evil.example:${port}`,
        'null',
        `https://127.0.0.1:${port}`,
      ]) {
        const response = await send(probe, { origin });
        expect(response.status, `${probe.family} from ${origin}`).toBe(403);
      }
    }
    const [row] = await db.sql`select count(*)::int as n from runs where workflow_id = ${hook.id}`;
    expect(row?.n).toBe(0);
  });

  it("the server's own names and origins are allowed", async () => {
    for (const probe of probes()) {
      for (const name of [`127.0.0.1:${port}`, `localhost:${port}`]) {
        const fresh =
          probe.family === 'hook'
            ? { ...probe, headers: { ...json, ...signHookBody(hook.secret, '{}') } }
            : probe;
        const response = await send(fresh, { host: name, origin: `http://${name}` });
        expect(response.status, `${probe.family} at ${name}`).toBeLessThan(300);
      }
    }
  });

  it('behind a proxy (VMESH_PUBLIC_URL), the public name is allowed and others are not', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const get = (headers: Record<string, string>) =>
      rawRequest(proxied.url, { path: '/api/workflows', headers: { ...auth, ...headers } });
    expect((await get({ host: 'vmesh.example.com', origin: 'https://vmesh.example.com' })).status).toBe(200);
    expect((await get({ host: 'vmesh.example.com:443' })).status).toBe(200);
    expect((await get({ host: 'other.example.com' })).status).toBe(403);
    expect((await get({ host: 'vmesh.example.com', origin: 'http://vmesh.example.com' })).status).toBe(403);
    // With a token, proxied requests are what a proxy is for.
    expect((await get({ host: 'vmesh.example.com', 'x-forwarded-for': '203.0.113.9' })).status).toBe(200);
  });
});

describe('no token, only for this machine', () => {
  it('a tokenless server refuses requests that came through a proxy on /api, /chat/api and /mcp (403)', async () => {
    for (const probe of probes().filter((probe) => ['api', 'chat api', 'mcp'].includes(probe.family))) {
      const proxies: Record<string, string>[] = [
        { 'x-forwarded-for': '203.0.113.9' },
        { forwarded: 'for=203.0.113.9;proto=https' },
        { 'x-real-ip': '203.0.113.9' },
      ];
      for (const forwarded of proxies) {
        const response = await send(probe, forwarded);
        expect(response.status, `${probe.family} with ${Object.keys(forwarded)[0]}`).toBe(403);
        expect(response.body).toMatch(/VMESH_API_TOKEN/);
      }
    }
    // Hooks carry their own proof (the signature), so a proxy in front of hooks alone is fine.
    const [hookProbe] = probes().filter((probe) => probe.family === 'hook');
    if (!hookProbe) throw new Error('no hook probe');
    expect((await send(hookProbe, { 'x-forwarded-for': '203.0.113.9' })).status).toBe(202);
  });

  it('refuses to start without a token when VMESH_PUBLIC_URL is not loopback', async () => {
    const refused = { HOST: '127.0.0.1', VMESH_PUBLIC_URL: 'https://vmesh.example.com' };
    expect(() => parseServerConfig(refused)).toThrow(
      /VMESH_API_TOKEN.*VMESH_PUBLIC_URL|VMESH_PUBLIC_URL.*VMESH_API_TOKEN/,
    );
    await expect(startApp({ ...refused, PORT: '0', DATABASE_URL: db.url })).rejects.toThrow(
      /VMESH_PUBLIC_URL/,
    );
    expect(() => parseServerConfig({ ...refused, VMESH_API_TOKEN: token })).not.toThrow();
    for (const loopback of ['http://localhost:3000', 'http://127.0.0.1:8080', 'http://[::1]:3000']) {
      expect(() => parseServerConfig({ HOST: '127.0.0.1', VMESH_PUBLIC_URL: loopback })).not.toThrow();
    }
  });
});

describe('closed by default: no credential, nobody (HOST=127.0.0.1, no token)', () => {
  const message = JSON.stringify({ threadKey: 'closed-default-1', text: 'list my workflows' });
  const strangers = (): Probe[] => [
    { family: 'api', method: 'GET', path: '/api/workflows' },
    { family: 'api me', method: 'GET', path: '/api/me' },
    { family: 'chat api', method: 'POST', path: '/chat/api/messages', body: message, headers: json },
    { family: 'chat api list', method: 'GET', path: '/chat/api/workflows' },
    {
      family: 'mcp',
      method: 'POST',
      path: '/mcp',
      body: mcpInitialize,
      headers: { ...json, accept: 'application/json, text/event-stream' },
    },
  ];

  it('a local process with the right Host and no credential gets 401 on /api, /chat/api and /mcp', async () => {
    for (const probe of strangers()) {
      for (const name of [`127.0.0.1:${port}`, `localhost:${port}`]) {
        const response = await send(probe, { host: name });
        expect(response.status, `${probe.family} at ${name}`).toBe(401);
      }
    }
    const [row] = await db.sql`select count(*)::int as n from conversations`;
    expect(row?.n).toBe(0);
  });

  it('health, the page shell, the OpenAPI document and signed hooks need no credential', async () => {
    expect((await rawRequest(local.url, { path: '/healthz' })).status).toBe(200);
    expect((await rawRequest(local.url, { path: '/' })).status).toBe(200);
    expect((await rawRequest(local.url, { path: '/api/openapi.json' })).status).toBe(200);
    const [hookProbe] = probes().filter((probe) => probe.family === 'hook');
    if (!hookProbe) throw new Error('no hook probe');
    expect((await send(hookProbe, {})).status).toBe(202);
  });

  it('start printed a one-time link that signs the owner in once; nothing else was printed with a token', async () => {
    const links = [...announced.matchAll(/Open (\S+\/auth\/link\/[A-Za-z0-9_-]{43}) to sign in/g)];
    // Only the tokenless server announces one (the proxied one has a token), and it names the fallback.
    expect(links).toHaveLength(1);
    expect(announced).toContain('vmesh login-link owner');
    expect(announced).toContain('vmesh tokens create --user owner --name claude');
    const link = links[0]?.[1] ?? '';
    expect(new URL(link).origin).toBe(local.url);
    const jar = new CookieJar();
    expect((await jar.fetch(`${local.url}/api/me`)).status).toBe(401);
    expect((await jar.fetch(link)).status).toBe(200);
    const signedIn = await jar.fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(signedIn.status).toBe(303);
    const me = await jar.fetch(`${local.url}/api/me`);
    expect(me.status).toBe(200);
    expect(((await me.json()) as { user: { name: string; role: string } }).user).toMatchObject({
      name: 'owner',
      role: 'owner',
    });
    // A second use (another browser) gets nowhere.
    const again = new CookieJar();
    const reused = await again.fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(reused.status).toBe(410);
    expect((await again.fetch(`${local.url}/api/me`)).status).toBe(401);
  });

  it('an approval link decides only for a person signed in in a browser, never as the local owner', async () => {
    // A builder's own proposal, and the link approve_proposal would hand them: the builder may not approve it.
    const builder = await createUser(db.sql, { name: 'bea', role: 'builder' });
    const document = {
      schemaVersion: 1,
      name: 'by bea',
      trigger: { type: 'manual' },
      nodes: [{ id: 'a', uses: 'core.transform', with: { value: 1 } }],
      edges: [],
    };
    const proposal = await insertProposal(db.sql, {
      conversationId: null,
      kind: 'new',
      document,
      documentHash: contentHash(document),
      summary: 'A workflow by bea.',
      diff: [],
      approvers: [],
      workflowId: null,
      baseVersion: null,
      runId: null,
      details: {},
      createdBy: builder.name,
      proposerId: builder.id,
      proposerMayApprove: false,
      secondPersonReasons: [],
    });
    const path = `/approve/${await mintApprovalLink(db.sql, proposal.id, builder.id)}`;
    const post = (jar: CookieJar | undefined, form: string, headers: Record<string, string> = {}) =>
      (jar ? jar.fetch.bind(jar) : fetch)(`${local.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams({ form, decision: 'approve' }).toString(),
      });
    const formOf = async (jar: CookieJar) =>
      /name="form" value="([^"]+)"/.exec(await (await jar.fetch(`${local.url}${path}`)).text())?.[1] ?? '';
    const statusNow = async () =>
      (await db.sql`select status from proposals where id = ${proposal.id}`)[0]?.status;
    // Nobody signed in: not the page, not a decision; a token (what an assistant holds) is no browser either.
    expect((await fetch(`${local.url}${path}`)).status).toBe(401);
    expect((await post(undefined, 'x')).status).toBe(401);
    expect((await post(undefined, 'x', owner)).status).toBe(401);
    // The builder, signed in, is judged as themselves: refused, and the link stays for someone who may.
    const bea = new CookieJar();
    expect((await signInWithLink(db.sql, bea, local.url, builder.id)).status).toBe(303);
    expect((await post(bea, await formOf(bea))).status).toBe(403);
    expect(await statusNow()).toBe('pending');
    // The owner, signed in, approves through the same link.
    const ownerBrowser = new CookieJar();
    const localOwner = await ensureLocalOwner(db.sql, 'web');
    expect((await signInWithLink(db.sql, ownerBrowser, local.url, localOwner.userId)).status).toBe(303);
    expect((await post(ownerBrowser, await formOf(ownerBrowser))).status).toBe(200);
    expect(await statusNow()).toBe('approved');
  });
});
