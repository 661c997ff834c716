import { z } from 'zod';

/**
 * The address of a site the person runs (a WordPress or WooCommerce site, a Supabase project): https only, no
 * user name or password in it, no query or fragment. Its path is kept (a site in a subdirectory). Requests to it
 * still go through the engine's guarded fetch, so an address on a private network is refused like any other.
 */
export const SiteUrl = z
  .url({ protocol: /^https$/, error: 'an https:// address, e.g. https://blog.example.com' })
  .max(300)
  .refine((value) => {
    const url = URL.parse(value);
    return url !== null && url.username === '' && url.password === '' && url.search === '' && url.hash === '';
  }, 'the site address without a user name, password, query or #fragment')
  .transform((value) => value.replace(/\/+$/, ''));

/** The site's API root: `https://blog.example.com/sub` + `/wp-json/wp/v2`. */
export function siteApiUrl(siteUrl: string, apiPath: string): string {
  return `${siteUrl.replace(/\/+$/, '')}/${apiPath.replace(/^\/+/, '')}`;
}

/** A file name for a Content-Disposition header: ASCII letters, digits, `.`, `_` and `-` only. */
export function dispositionFileName(name: string): string {
  const cleaned = name
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[.-]+/, '')
    .slice(-120);
  return cleaned.length > 0 ? cleaned : 'upload.bin';
}
