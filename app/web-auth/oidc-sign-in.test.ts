import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, findUser } from '../../access/index.ts';
import {
  type ScriptedModelServer,
  startScriptedModelServer,
} from '../../agent/testing/scripted-model-server.ts';
import { findFreePort } from '../../db/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import type { RunningApp } from '../start.ts';
import { CookieJar, sessionCookieOf, startSignedApp, whoAmI } from './testing/signed-app.ts';
import { startTestOidcProvider, type TestOidcProvider } from './testing/test-oidc-provider.ts';

// The whole OIDC sign-in over real HTTP: the app (startApp) and a real OpenID provider (oidc-provider) on
// loopback ports, a cookie jar as the browser, every redirect followed by hand.
let db: TestDatabase;
let provider: TestOidcProvider;
let model: ScriptedModelServer;
let app: RunningApp;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 6 });
  model = await startScriptedModelServer();
  const port = await findFreePort();
  provider = await startTestOidcProvider({ redirectUri: `http://127.0.0.1:${port}/auth/oidc/callback` });
  provider.accounts.set('alice-sub', {
    preferred_username: 'alice',
    email: 'alice@example.com',
    email_verified: true,
  });
  provider.accounts.set('stranger-sub', {
    preferred_username: 'stranger',
    email: 'x@else.org',
    email_verified: false,
  });
  provider.accounts.set('carol-sub', {
    preferred_username: 'carol-at-idp',
    email: 'Carol@Example.com',
    email_verified: true,
  });
  provider.accounts.set('carol-again-sub', {
    preferred_username: 'c2',
    email: 'carol@example.com',
    email_verified: true,
  });
  provider.accounts.set('mallory-sub', {
    preferred_username: 'mallory',
    email: 'carol@example.com',
    email_verified: false,
  });
  app = await startSignedApp(
    db,
    {
      VMESH_API_TOKEN: 'shared-token-0123456789abcdef',
      VMESH_OIDC_ISSUER: provider.issuer,
      VMESH_OIDC_CLIENT_ID: provider.clientId,
      VMESH_OIDC_CLIENT_SECRET: provider.clientSecret,
      VMESH_MODEL: 'openai:gpt-test',
      OPENAI_BASE_URL: model.openaiBaseUrl,
    },
    port,
  );
  const alice = await createUser(db.sql, { name: 'alice', role: 'builder' });
  await db.sql`insert into user_identities (provider, subject, user_id) values ('oidc', ${`${provider.issuer}|alice-sub`}, ${alice.id})`;
  await createUser(db.sql, { name: 'carol', role: 'operator', email: 'carol@example.com' });
}, 60_000);

afterAll(async () => {
  await app?.stop();
  await provider?.close();
  await model?.close();
  await db?.drop();
});

/** Starts a sign-in at the app and follows it through the provider until the browser is back at the app. */
async function signIn(account: string, jar = new CookieJar(), returnTo?: string) {
  provider.loginAs(account);
  const start = `${app.url}/auth/oidc/login${returnTo ? `?returnTo=${encodeURIComponent(returnTo)}` : ''}`;
  const result = await jar.navigate(start);
  return { jar, ...result, body: await result.response.text() };
}

/** Follows the flow until the provider redirects back to the app's callback, and stops there. */
async function untilCallback(account: string, jar = new CookieJar(), tamperAuthorize?: (url: URL) => void) {
  provider.loginAs(account);
  const login = await jar.fetch(`${app.url}/auth/oidc/login`);
  const authorize = new URL(String(login.headers.get('location')));
  tamperAuthorize?.(authorize);
  const back = await jar.navigate(
    authorize.toString(),
    {},
    (next) => next.pathname === '/auth/oidc/callback',
  );
  return { jar, callback: new URL(back.url) };
}

describe('OIDC sign-in against a real OpenID provider', () => {
  it('signs a linked person in: session cookie, /auth/session and the chat act as them', async () => {
    const { jar, response, hops, url } = await signIn('alice-sub', undefined, '/#/workflows');
    expect(response.status).toBe(200);
    expect(new URL(url).pathname).toBe('/');
    // The callback redirected to the asked-for same-origin path.
    expect(hops.find((hop) => hop.url.includes('/auth/oidc/callback'))?.location).toBe('/#/workflows');
    // PKCE and nonce went to the provider.
    const authorize = new URL(String(hops[0]?.location));
    expect(authorize.origin).toBe(provider.issuer);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('nonce')).toBeTruthy();
    expect(authorize.searchParams.get('state')).toBeTruthy();

    const cookie = jar.setCookies.find(
      (header) => header.startsWith('vmesh_session=') && !header.includes('Max-Age=0'),
    );
    expect(cookie).toBeDefined();
    expect(cookie).toMatch(/; HttpOnly/i);
    expect(cookie).toMatch(/; SameSite=Lax/i);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).not.toMatch(/; Secure/i); // the public URL is http here

    const me = await whoAmI(jar, app.url);
    expect(me.status).toBe(200);
    expect(me.body.user?.name).toBe('alice');
    expect(me.body.via).toBe('web');
    expect(me.body.identity).toMatch(/^web:[0-9a-f]{12}$/);
    const csrf = String(me.body.session?.csrfToken);

    model.setScript([{ text: 'Hello alice.' }]);
    const turn = await jar.fetch(`${app.url}/chat/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify({ threadKey: 'oidc-thread-1', text: 'hi' }),
    });
    expect(turn.status).toBe(200);
    expect(await turn.text()).toContain('Hello alice.');
    const alice = await findUser(db.sql, 'alice');
    const [message] = await db.sql`
      select m.actor from conversation_messages m join conversations c on c.id = m.conversation_id
      where c.thread_key = 'web:oidc-thread-1' and m.role = 'user'`;
    expect(String(message?.actor)).toMatch(new RegExp(`${alice?.id}|alice`));

    const logout = await jar.fetch(`${app.url}/auth/logout`, {
      method: 'POST',
      headers: { 'x-csrf-token': csrf },
    });
    expect(logout.status).toBe(200);
    const [row] =
      await db.sql`select revoked_at from web_sessions where user_id = ${alice?.id ?? ''} order by created_at desc limit 1`;
    expect(row?.revokedAt).toBeInstanceOf(Date);
    expect(sessionCookieOf(jar)).toBeUndefined();
  });

  it('a session ended by logout is refused even when the browser sends its cookie again', async () => {
    const { jar } = await signIn('alice-sub');
    const cookie = String(sessionCookieOf(jar));
    const me = await whoAmI(jar, app.url);
    await jar.fetch(`${app.url}/auth/logout`, {
      method: 'POST',
      headers: { 'x-csrf-token': String(me.body.session?.csrfToken) },
    });
    const replay = new CookieJar();
    replay.set('127.0.0.1', 'vmesh_session', cookie);
    expect((await whoAmI(replay, app.url)).status).toBe(401);
    expect((await replay.fetch(`${app.url}/chat/api/proposals`)).status).toBe(401);
  });

  it('a stranger without VMESH_OIDC_DEFAULT_ROLE is refused with the command an admin runs; no user is made', async () => {
    const { response, body, jar } = await signIn('stranger-sub');
    expect(response.status).toBe(403);
    expect(body).toContain('vmesh users link NAME oidc');
    expect(body).toContain(`${provider.issuer}|stranger-sub`.replace(/&/g, '&amp;'));
    expect(sessionCookieOf(jar)).toBeUndefined();
    expect(await findUser(db.sql, 'stranger')).toBeUndefined();
  });

  it('matches a verified email to the user created with it (and links the identity); an unverified one is not matched', async () => {
    const carol = await signIn('carol-sub');
    expect(carol.response.status).toBe(200);
    expect((await whoAmI(carol.jar, app.url)).body.user?.name).toBe('carol');
    const [link] =
      await db.sql`select subject from user_identities i join users u on u.id = i.user_id where u.name = 'carol'`;
    expect(link?.subject).toBe(`${provider.issuer}|carol-sub`);

    const mallory = await signIn('mallory-sub');
    expect(mallory.response.status).toBe(403);
    expect(sessionCookieOf(mallory.jar)).toBeUndefined();
    // carol is linked now: another subject with her (verified) address does not get her account.
    const later = await signIn('carol-again-sub');
    expect(later.response.status).toBe(403);
    expect(sessionCookieOf(later.jar)).toBeUndefined();
  });

  it('a forged state is refused', async () => {
    const { jar, callback } = await untilCallback('alice-sub');
    callback.searchParams.set('state', 'forged-state-value');
    const response = await jar.fetch(callback.toString());
    expect(response.status).toBe(400);
    expect(sessionCookieOf(jar)).toBeUndefined();
  });

  it('a callback in another browser (no attempt cookie), a replayed callback and an expired attempt are refused', async () => {
    const first = await untilCallback('alice-sub');
    const elsewhere = new CookieJar();
    expect((await elsewhere.fetch(first.callback.toString())).status).toBe(400);
    expect(sessionCookieOf(elsewhere)).toBeUndefined();

    const second = await untilCallback('alice-sub');
    const attempt = String(second.jar.get('127.0.0.1', 'vmesh_oidc'));
    expect((await second.jar.fetch(second.callback.toString())).status).toBe(302);
    // The same answer once more, with the attempt cookie put back: the attempt was used up.
    const replay = new CookieJar();
    replay.set('127.0.0.1', 'vmesh_oidc', attempt, '/auth/oidc');
    expect((await replay.fetch(second.callback.toString())).status).toBe(400);

    const third = await untilCallback('alice-sub');
    await db.sql`update web_oidc_attempts set expires_at = now() - interval '1 second'`;
    expect((await third.jar.fetch(third.callback.toString())).status).toBe(400);
    expect(sessionCookieOf(third.jar)).toBeUndefined();
  });

  it('a wrong nonce (the ID token answers another request) is refused', async () => {
    const { jar, callback } = await untilCallback('alice-sub', new CookieJar(), (authorize) =>
      authorize.searchParams.set('nonce', 'attacker-chosen-nonce'),
    );
    expect((await jar.fetch(callback.toString())).status).toBe(400);
    expect(sessionCookieOf(jar)).toBeUndefined();
  });

  it('an answer naming another issuer is refused', async () => {
    const { jar, callback } = await untilCallback('alice-sub');
    expect(callback.searchParams.get('iss')).toBe(provider.issuer);
    callback.searchParams.set('iss', 'http://127.0.0.1:1/evil');
    expect((await jar.fetch(callback.toString())).status).toBe(400);
    expect(sessionCookieOf(jar)).toBeUndefined();
  });

  it('the sign-in page data says OIDC is on; the shared token still works without any cookie', async () => {
    const anonymous = await whoAmI(new CookieJar(), app.url);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.signIn?.oidc).toBe(true);
    const bearer = await fetch(`${app.url}/auth/session`, {
      headers: { authorization: 'Bearer shared-token-0123456789abcdef' },
    });
    expect(bearer.status).toBe(200);
    expect(((await bearer.json()) as { session: unknown }).session).toBeNull();
  });
});
