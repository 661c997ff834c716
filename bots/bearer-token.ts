import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * True when no token is configured (loopback-only servers) or the `Authorization: Bearer …` header holds it.
 * Compared as digests in constant time, so neither content nor length leaks.
 */
export function hasValidBearer(header: string | undefined, token: string | undefined): boolean {
  if (!token) return true;
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!match?.[1]) return false;
  return timingSafeEqual(digest(match[1].trim()), digest(token));
}
