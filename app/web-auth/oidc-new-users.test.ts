import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, findUser } from '../../access/index.ts';
import { findFreePort } from '../../db/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import type { RunningApp } from '../start.ts';
import { CookieJar, sessionCookieOf, startSignedApp, whoAmI } from './testing/signed-app.ts';
import { startTestOidcProvider, type TestOidcProvider } from './testing/test-oidc-provider.ts';

// With VMESH_OIDC_DEFAULT_ROLE, people the workspace does not know yet become users on first sign-in;
// VMESH_OIDC_ALLOWED_DOMAINS limits who may sign in at all.
let db: TestDatabase;
let provider: TestOidcProvider;
let app: RunningApp;

beforeAll(async () => {
  db = await createTestDatabase();
  const port = await findFreePort();
  provider = await startTestOidcProvider({ redirectUri: `http://127.0.0.1:${port}/auth/oidc/callback` });
  provider.accounts.set('bob-sub', {
    preferred_username: 'bob',
    email: 'bob@example.com',
    email_verified: true,
  });
  provider.accounts.set('eve-sub', {
    preferred_username: 'eve',
    email: 'eve@evil.test',
    email_verified: true,
  });
  provider.accounts.set('unverified-sub', {
    preferred_username: 'u',
    email: 'u@example.com',
    email_verified: false,
  });
  app = await startSignedApp(
    db,
    {
      VMESH_API_TOKEN: 'shared-token-0123456789abcdef',
      VMESH_OIDC_ISSUER: provider.issuer,
      VMESH_OIDC_CLIENT_ID: provider.clientId,
      VMESH_OIDC_CLIENT_SECRET: provider.clientSecret,
      VMESH_OIDC_DEFAULT_ROLE: 'viewer',
      VMESH_OIDC_ALLOWED_DOMAINS: 'example.com',
    },
    port,
  );
  // Somebody else already has the name bob.
  await createUser(db.sql, { name: 'bob', role: 'admin' });
}, 60_000);

afterAll(async () => {
  await app?.stop();
  await provider?.close();
  await db?.drop();
});

async function signIn(account: string) {
  provider.loginAs(account);
  const jar = new CookieJar();
  const { response } = await jar.navigate(`${app.url}/auth/oidc/login`);
  return { jar, status: response.status, body: await response.text() };
}

describe('OIDC sign-in of new people', () => {
  it('creates a stranger as a viewer under a free name, linked to ISSUER|SUB; the next sign-in is the same user', async () => {
    const first = await signIn('bob-sub');
    expect(first.status).toBe(200);
    const me = await whoAmI(first.jar, app.url);
    expect(me.body.user).toMatchObject({ name: 'bob-2', role: 'viewer' });
    const user = await findUser(db.sql, 'bob-2');
    expect(user?.email).toBe('bob@example.com');
    const [identity] =
      await db.sql`select subject from user_identities where user_id = ${user?.id ?? ''} and provider = 'oidc'`;
    expect(identity?.subject).toBe(`${provider.issuer}|bob-sub`);
    // The existing bob kept his role and got no identity.
    expect((await findUser(db.sql, 'bob'))?.role).toBe('admin');

    const again = await signIn('bob-sub');
    expect((await whoAmI(again.jar, app.url)).body.user?.id).toBe(user?.id);
    const [{ n } = { n: 0 }] =
      await db.sql`select count(*)::int as n from users where email = 'bob@example.com'`;
    expect(n).toBe(1);
  });

  it('refuses emails outside VMESH_OIDC_ALLOWED_DOMAINS and unverified emails, and creates nobody', async () => {
    for (const account of ['eve-sub', 'unverified-sub']) {
      const result = await signIn(account);
      expect(result.status).toBe(403);
      expect(result.body).toContain('allowed domains');
      expect(sessionCookieOf(result.jar)).toBeUndefined();
    }
    expect(await findUser(db.sql, 'eve')).toBeUndefined();
    expect(await findUser(db.sql, 'u')).toBeUndefined();
  });

  it('a disabled user cannot sign in again', async () => {
    const user = await findUser(db.sql, 'bob-2');
    await db.sql`update users set disabled_at = now() where id = ${user?.id ?? ''}`;
    const result = await signIn('bob-sub');
    expect(result.status).toBe(403);
    expect(result.body).toContain('disabled');
    expect(sessionCookieOf(result.jar)).toBeUndefined();
  });
});
