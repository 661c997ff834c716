import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../access/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { createHttpServer } from '../server.ts';
import { createLoginLink } from './login-links.ts';
import { safeReturnTo } from './return-to.ts';
import { createWebAuth } from './web-auth.ts';
import { parseDuration, parseWebAuthConfig } from './web-auth-config.ts';

describe('sign-in settings', () => {
  it('reads durations and defaults (12 h idle, 7 d absolute)', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('0m')).toBeUndefined();
    expect(parseDuration('1w')).toBeUndefined();
    const config = parseWebAuthConfig({}, 'http://127.0.0.1:3000');
    expect(config).toMatchObject({
      idleTimeoutMs: 12 * 3_600_000,
      maxAgeMs: 7 * 86_400_000,
      secureCookies: false,
    });
    expect(config.oidc).toBeUndefined();
    expect(parseWebAuthConfig({}, 'https://vmesh.example.com').secureCookies).toBe(true);
  });

  it('refuses half an OIDC setup, a plain-http issuer off loopback, an owner default role, idle > absolute', () => {
    expect(() =>
      parseWebAuthConfig({ VMESH_OIDC_ISSUER: 'https://id.example.com' }, 'http://127.0.0.1'),
    ).toThrow(/together/);
    const oidc = { VMESH_OIDC_CLIENT_ID: 'c', VMESH_OIDC_CLIENT_SECRET: 's' };
    expect(() =>
      parseWebAuthConfig({ ...oidc, VMESH_OIDC_ISSUER: 'http://id.example.com' }, 'http://127.0.0.1'),
    ).toThrow(/https/);
    expect(() =>
      parseWebAuthConfig(
        { ...oidc, VMESH_OIDC_ISSUER: 'https://id.example.com', VMESH_OIDC_DEFAULT_ROLE: 'owner' },
        'http://127.0.0.1',
      ),
    ).toThrow(/viewer, operator or builder/);
    expect(() =>
      parseWebAuthConfig(
        { VMESH_SESSION_IDLE_TIMEOUT: '8d', VMESH_SESSION_MAX_AGE: '7d' },
        'http://127.0.0.1',
      ),
    ).toThrow(/longer/);
    const config = parseWebAuthConfig(
      {
        ...oidc,
        VMESH_OIDC_ISSUER: 'https://id.example.com',
        VMESH_OIDC_SCOPES: 'email',
        VMESH_OIDC_ALLOWED_DOMAINS: 'A.com, b.org',
      },
      'https://vmesh.example.com',
    );
    expect(config.oidc).toMatchObject({
      scopes: 'openid email',
      allowedDomains: ['a.com', 'b.org'],
      redirectUri: 'https://vmesh.example.com/auth/oidc/callback',
      allowInsecure: false,
    });
  });

  it('returnTo: same-origin paths only', () => {
    expect(safeReturnTo('/#/runs/r1')).toBe('/#/runs/r1');
    for (const bad of [
      '//x.example',
      '/\\x.example',
      'https://x.example',
      '/\n/x',
      '',
      undefined,
      42,
      `/${'a'.repeat(2000)}`,
    ])
      expect(safeReturnTo(bad)).toBe('/');
  });
});

describe('cookie flags', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('behind an https public URL the session cookie is Secure, HttpOnly, SameSite=Lax, Path=/, Max-Age = the absolute lifetime', async () => {
    const database = { sql: db.sql, url: db.url, kind: 'external' as const, close: async () => {} };
    const webAuth = createWebAuth({
      sql: db.sql,
      config: parseWebAuthConfig({ VMESH_SESSION_MAX_AGE: '2d' }, 'https://vmesh.example.com'),
    });
    const server = createHttpServer({
      database,
      startedAt: Date.now(),
      version: 'test',
      env: {},
      config: {
        host: '127.0.0.1',
        apiToken: 'shared-token-0123456789abcdef',
        publicUrl: 'https://vmesh.example.com',
      },
      principalResolvers: [webAuth.resolvePrincipal],
    });
    webAuth.register(server);
    const user = await createUser(db.sql, { name: 'dana', role: 'viewer' });
    const { token } = await createLoginLink(db.sql, user.id, 60_000);
    const response = await server.inject({
      method: 'POST',
      url: `/auth/link/${token}`,
      headers: { host: 'vmesh.example.com' },
    });
    expect(response.statusCode).toBe(303);
    const cookie = String(response.headers['set-cookie']);
    expect(cookie).toMatch(/^vmesh_session=[A-Za-z0-9_-]{43};/);
    for (const flag of ['Secure', 'HttpOnly', 'SameSite=Lax', 'Path=/', `Max-Age=${2 * 86_400}`])
      expect(cookie).toContain(flag);
    await server.close();
  });
});
