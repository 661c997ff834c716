import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, listAudit, type User } from '../../access/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import type { RunningApp } from '../start.ts';
import { createLoginLink } from './login-links.ts';
import { sessionIdOf } from './session-store.ts';
import { signInWithLink } from './testing/link-sign-in.ts';
import { CookieJar, sessionCookieOf, startSignedApp, whoAmI } from './testing/signed-app.ts';

// Attacks on web sessions, over real HTTP against the app as `npm start` runs it: one server that needs a
// sign-in (it has a token) and one loopback server without tokens (closed all the same: nobody without a sign-in).
const TOKEN = 'shared-token-0123456789abcdef';
let db: TestDatabase;
let app: RunningApp;
let open: RunningApp;
let alice: User;
let bob: User;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 6 });
  app = await startSignedApp(db, { VMESH_API_TOKEN: TOKEN, VMESH_SESSION_IDLE_TIMEOUT: '2h' });
  open = await startSignedApp(db, {});
  alice = await createUser(db.sql, { name: 'alice', role: 'builder' });
  bob = await createUser(db.sql, { name: 'bob', role: 'viewer' });
}, 60_000);

afterAll(async () => {
  await app?.stop();
  await open?.stop();
  await db?.drop();
});

async function signedIn(user: User, server = app) {
  const jar = new CookieJar();
  const result = await signInWithLink(db.sql, jar, server.url, user.id);
  expect(result.status).toBe(303);
  const me = await whoAmI(jar, server.url);
  expect(me.body.user?.id).toBe(user.id);
  return { jar, csrf: String(me.body.session?.csrfToken), cookie: String(sessionCookieOf(jar)) };
}

const decide = (jar: CookieJar, url: string, headers: Record<string, string> = {}) =>
  jar.fetch(`${url}/chat/api/decisions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ proposalId: 'prp_none', decision: 'reject' }),
  });

describe('CSRF', () => {
  it('a state-changing request with the session cookie but without its CSRF token is refused with 403 E_CSRF', async () => {
    const { jar, csrf } = await signedIn(alice);
    const missing = await decide(jar, app.url);
    expect(missing.status).toBe(403);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('E_CSRF');
    const wrong = await decide(jar, app.url, { 'x-csrf-token': `${csrf.slice(0, -2)}AA` });
    expect(wrong.status).toBe(403);
    // Another session's token is no good either.
    const other = await signedIn(bob);
    expect((await decide(jar, app.url, { 'x-csrf-token': other.csrf })).status).toBe(403);
    expect((await decide(jar, app.url, { 'x-csrf-token': csrf })).status).toBe(200);
  });

  it('logout needs the token too (a cross-site form cannot sign people out), and ends the session with it', async () => {
    const { jar, csrf } = await signedIn(alice);
    expect((await jar.fetch(`${app.url}/auth/logout`, { method: 'POST' })).status).toBe(403);
    expect((await whoAmI(jar, app.url)).status).toBe(200);
    expect(
      (await jar.fetch(`${app.url}/auth/logout`, { method: 'POST', headers: { 'x-csrf-token': csrf } }))
        .status,
    ).toBe(200);
    expect((await whoAmI(jar, app.url)).status).toBe(401);
    // Both ends of the session are audit entries naming the person.
    const { entries } = await listAudit(db.sql, {
      subjectType: 'user',
      subjectId: alice.id,
      action: 'login.succeeded',
    });
    expect(entries[0]).toMatchObject({ via: 'web', details: { method: 'link' } });
    const [logout] = (await listAudit(db.sql, { action: 'session.logged_out' })).entries;
    expect(logout).toMatchObject({ actor: 'alice', via: 'web' });
  });

  it('a bearer token needs no CSRF token (scripts), and a cookie sent along does not change who it is', async () => {
    const { jar } = await signedIn(bob);
    const response = await decide(jar, app.url, { authorization: `Bearer ${TOKEN}` });
    expect(response.status).toBe(200);
    const me = await jar.fetch(`${app.url}/auth/session`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(((await me.json()) as { identity: string }).identity).toBe('token:shared');
  });
});

describe('session theft and fixation', () => {
  it('the session id stored in the database (a hash) does not work as a cookie', async () => {
    const { cookie } = await signedIn(alice);
    const [row] = await db.sql`select id from web_sessions where id = ${sessionIdOf(cookie)}`;
    expect(row?.id).toBeDefined();
    const [{ n } = { n: 1 }] = await db.sql`select count(*)::int as n from web_sessions where id = ${cookie}`;
    expect(n).toBe(0);
    for (const stolen of [String(row?.id), String(row?.id).slice(0, 43)]) {
      const thief = new CookieJar();
      thief.set('127.0.0.1', 'vmesh_session', stolen);
      expect((await whoAmI(thief, app.url)).status).toBe(401);
      expect((await thief.fetch(`${app.url}/chat/api/proposals`)).status).toBe(401);
    }
  });

  it('a session cookie planted before sign-in is not reused: sign-in sets a new one; an earlier session ends', async () => {
    const jar = new CookieJar();
    const planted = 'A'.repeat(43);
    jar.set('127.0.0.1', 'vmesh_session', planted);
    await signInWithLink(db.sql, jar, app.url, alice.id);
    expect(sessionCookieOf(jar)).not.toBe(planted);
    const attacker = new CookieJar();
    attacker.set('127.0.0.1', 'vmesh_session', planted);
    expect((await whoAmI(attacker, app.url)).status).toBe(401);

    // Signed in as alice, then as bob in the same browser: alice's session ends, the cookie changes.
    const before = String(sessionCookieOf(jar));
    await signInWithLink(db.sql, jar, app.url, bob.id);
    expect(sessionCookieOf(jar)).not.toBe(before);
    expect((await whoAmI(jar, app.url)).body.user?.name).toBe('bob');
    const [old] = await db.sql`select revoked_at from web_sessions where id = ${sessionIdOf(before)}`;
    expect(old?.revokedAt).toBeInstanceOf(Date);
  });

  it('an idle, expired or revoked session, or one of a disabled user, is refused', async () => {
    const idle = await signedIn(alice);
    const [row] =
      await db.sql`select idle_timeout_ms from web_sessions where id = ${sessionIdOf(idle.cookie)}`;
    expect(Number(row?.idleTimeoutMs)).toBe(2 * 3_600_000); // VMESH_SESSION_IDLE_TIMEOUT=2h
    await db.sql`update web_sessions set last_seen_at = now() - interval '2 hours 1 minute' where id = ${sessionIdOf(idle.cookie)}`;
    expect((await whoAmI(idle.jar, app.url)).status).toBe(401);

    const old = await signedIn(alice);
    await db.sql`update web_sessions set expires_at = now() - interval '1 second' where id = ${sessionIdOf(old.cookie)}`;
    expect((await whoAmI(old.jar, app.url)).status).toBe(401);

    const revoked = await signedIn(alice);
    await db.sql`update web_sessions set revoked_at = now() where id = ${sessionIdOf(revoked.cookie)}`;
    expect((await revoked.jar.fetch(`${app.url}/chat/api/workflows`)).status).toBe(401);

    const carol = await createUser(db.sql, { name: 'carol', role: 'operator' });
    const disabled = await signedIn(carol);
    await db.sql`update users set disabled_at = now() where id = ${carol.id}`;
    expect((await whoAmI(disabled.jar, app.url)).status).toBe(401);
  });

  it('on a loopback server without tokens no cookie or a wrong cookie is nobody, never the local owner', async () => {
    const nobody = new CookieJar();
    expect((await whoAmI(nobody, open.url)).status).toBe(401);
    expect((await nobody.fetch(`${open.url}/api/me`)).status).toBe(401);
    nobody.set('127.0.0.1', 'vmesh_session', 'B'.repeat(43));
    expect((await whoAmI(nobody, open.url)).status).toBe(401);
    // /auth/session cleared the stale cookie; a browser that sends it anyway is still nobody.
    expect(sessionCookieOf(nobody)).toBeUndefined();
    nobody.set('127.0.0.1', 'vmesh_session', 'B'.repeat(43));
    expect((await nobody.fetch(`${open.url}/api/me`)).status).toBe(401);
    expect((await nobody.fetch(`${open.url}/chat/api/proposals`)).status).toBe(401);
    // A signed-in person there is themselves, on /api/me too.
    const { jar } = await signedIn(alice, open);
    const me = await jar.fetch(`${open.url}/api/me`);
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ user: { name: 'alice', role: 'builder' }, via: 'web' });
  });
});

describe('one-time sign-in links', () => {
  it('works once: a replayed link (page or button) is refused and makes no session', async () => {
    const jar = new CookieJar();
    const { token, status } = await signInWithLink(db.sql, jar, app.url, alice.id);
    expect(status).toBe(303);
    const replay = new CookieJar();
    expect((await replay.fetch(`${app.url}/auth/link/${token}`)).status).toBe(410);
    const again = await replay.fetch(`${app.url}/auth/link/${token}`, { method: 'POST' });
    expect(again.status).toBe(410);
    expect(sessionCookieOf(replay)).toBeUndefined();
  });

  it('two presses of one link at once make one session', async () => {
    const { token } = await createLoginLink(db.sql, bob.id, 60_000);
    const jars = [new CookieJar(), new CookieJar(), new CookieJar()];
    const results = await Promise.all(
      jars.map((jar) => jar.fetch(`${app.url}/auth/link/${token}`, { method: 'POST' })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([303, 410, 410]);
  });

  it('an expired link is refused; only its hash is stored', async () => {
    const { token } = await createLoginLink(db.sql, alice.id, 60_000);
    const [{ n } = { n: 1 }] =
      await db.sql`select count(*)::int as n from web_login_links where id = ${token}`;
    expect(n).toBe(0);
    await db.sql`update web_login_links set expires_at = now() - interval '1 second' where used_at is null`;
    const jar = new CookieJar();
    expect((await jar.fetch(`${app.url}/auth/link/${token}`, { method: 'POST' })).status).toBe(410);
    expect(sessionCookieOf(jar)).toBeUndefined();
  });

  it('a link pressed from another site (login CSRF) is refused and stays usable', async () => {
    const { token } = await createLoginLink(db.sql, alice.id, 60_000);
    const jar = new CookieJar();
    const crossSite: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'cross-site' },
    ];
    for (const headers of crossSite) {
      expect((await jar.fetch(`${app.url}/auth/link/${token}`, { method: 'POST', headers })).status).toBe(
        403,
      );
    }
    expect(sessionCookieOf(jar)).toBeUndefined();
    expect((await jar.fetch(`${app.url}/auth/link/${token}`, { method: 'POST' })).status).toBe(303);
  });
});

describe('open redirects', () => {
  it('returnTo keeps only same-origin paths', async () => {
    const cases: Array<[string, string]> = [
      ['/#/workflows', '/#/workflows'],
      ['/runs?x=1', '/runs?x=1'],
      ['//evil.example/x', '/'],
      ['/\\evil.example', '/'],
      ['https://evil.example/', '/'],
      ['javascript:alert(1)', '/'],
      ['/\t/evil.example', '/'],
      ['evil.example', '/'],
    ];
    for (const [returnTo, expected] of cases) {
      const result = await signInWithLink(db.sql, new CookieJar(), app.url, alice.id, returnTo);
      expect(result.status).toBe(303);
      expect(result.location, returnTo).toBe(expected);
    }
  });
});
