import type { Sql } from '../../../db/index.ts';
import { createLoginLink } from '../login-links.ts';
import type { CookieJar } from './browser-jar.ts';

/** Makes a one-time link for `userId` and uses it as a browser would: open the page, press the button. */
export async function signInWithLink(
  sql: Sql,
  jar: CookieJar,
  appUrl: string,
  userId: string,
  returnTo?: string,
): Promise<{ status: number; location: string | null; token: string }> {
  const { token } = await createLoginLink(sql, userId, 60_000);
  const suffix = returnTo === undefined ? '' : `?returnTo=${encodeURIComponent(returnTo)}`;
  const pageResponse = await jar.fetch(`${appUrl}/auth/link/${token}${suffix}`);
  await pageResponse.text();
  const response = await jar.fetch(`${appUrl}/auth/link/${token}${suffix}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: '',
  });
  return { status: response.status, location: response.headers.get('location'), token };
}
