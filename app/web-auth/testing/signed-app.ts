import { findFreePort } from '../../../db/index.ts';
import type { TestDatabase } from '../../../db/testing/test-database.ts';
import { type RunningApp, type StartOptions, startApp } from '../../start.ts';
import { CookieJar } from './browser-jar.ts';

/** The app as `npm start` runs it, on a test database and a port known before it starts (for redirect URIs). */
export async function startSignedApp(
  db: TestDatabase,
  env: NodeJS.ProcessEnv,
  port?: number,
  options: StartOptions = {},
): Promise<RunningApp> {
  return startApp(
    {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL: db.url,
      HOST: '127.0.0.1',
      PORT: String(port ?? (await findFreePort())),
      LOG_LEVEL: 'silent',
      VMESH_NO_WORKER: '1',
      VMESH_SECRET_KEY: Buffer.alloc(32, 13).toString('base64'),
      ...env,
    },
    options,
  );
}

/** The session cookie's value in a jar (the browser's side of a session). */
export const sessionCookieOf = (jar: CookieJar): string | undefined => jar.get('127.0.0.1', 'vmesh_session');

/** Asks /auth/session who the jar is signed in as, with its CSRF token. */
export async function whoAmI(jar: CookieJar, appUrl: string) {
  const response = await jar.fetch(`${appUrl}/auth/session`);
  return {
    status: response.status,
    body: (await response.json()) as {
      user?: { id: string; name: string; role: string };
      via?: string;
      identity?: string;
      session?: { csrfToken: string; expiresAt: string } | null;
      error?: { code: string };
      signIn?: { oidc: boolean };
    },
  };
}

export { CookieJar };
