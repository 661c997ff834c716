import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../access/index.ts';
import type { RunningApp } from '../../app/index.ts';
import { CookieJar, sessionCookieOf, startSignedApp, whoAmI } from '../../app/web-auth/testing/signed-app.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { cliEnv, runCli } from '../testing/cli-process.ts';

// `vmesh login-link` as a real process against the database of a running app; its link signs in once.
let db: TestDatabase;
let app: RunningApp;

beforeAll(async () => {
  db = await createTestDatabase();
  app = await startSignedApp(db, { VMESH_API_TOKEN: 'shared-token-0123456789abcdef' });
  await createUser(db.sql, { name: 'erin', role: 'operator' });
}, 60_000);
afterAll(async () => {
  await app?.stop();
  await db?.drop();
});

const env = () => cliEnv({ DATABASE_URL: db.url, PORT: new URL(app.url).port });

describe('vmesh login-link', () => {
  it('prints a one-time URL on the public URL that signs the user in', async () => {
    const result = await runCli(['login-link', 'erin', '--ttl', '5m'], { env: env() });
    expect(result.stderr).toContain('Signs in erin once');
    expect(result.code).toBe(0);
    const url = result.stdout.trim();
    expect(url).toMatch(new RegExp(`^${app.url}/auth/link/[A-Za-z0-9_-]{43}$`));
    const [row] =
      await db.sql`select round(extract(epoch from expires_at - created_at))::int as ttl from web_login_links order by created_at desc limit 1`;
    expect(row?.ttl).toBe(300);

    const jar = new CookieJar();
    expect((await jar.fetch(url)).status).toBe(200);
    expect((await jar.fetch(url, { method: 'POST' })).status).toBe(303);
    expect(sessionCookieOf(jar)).toBeDefined();
    expect((await whoAmI(jar, app.url)).body.user?.name).toBe('erin');
  });

  it('refuses an unknown user and a too long --ttl', async () => {
    const unknown = await runCli(['login-link', 'nobody'], { env: env() });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no user "nobody"');
    const long = await runCli(['login-link', 'erin', '--ttl', '3d'], { env: env() });
    expect(long.code).toBe(2);
    expect(long.stderr).toContain('at most 24h');
  });
});
