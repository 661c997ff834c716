/** A tiny browser for tests: cookies per host (as browsers keep them, ports shared), redirects followed by hand. */
export type Hop = { url: string; status: number; location: string | undefined };

type StoredCookie = { value: string; path: string };

export class CookieJar {
  private readonly byHost = new Map<string, Map<string, StoredCookie>>();
  /** Every Set-Cookie header seen, raw (for asserting flags). */
  readonly setCookies: string[] = [];

  cookieHeader(url: string): string {
    const target = new URL(url);
    const cookies = this.byHost.get(target.hostname) ?? new Map<string, StoredCookie>();
    return [...cookies]
      .filter(([, cookie]) => target.pathname.startsWith(cookie.path))
      .map(([name, cookie]) => `${name}=${cookie.value}`)
      .join('; ');
  }

  get(host: string, name: string): string | undefined {
    return this.byHost.get(host)?.get(name)?.value;
  }

  set(host: string, name: string, value: string, path = '/'): void {
    let cookies = this.byHost.get(host);
    if (!cookies) {
      cookies = new Map();
      this.byHost.set(host, cookies);
    }
    cookies.set(name, { value, path });
  }

  remember(url: string, response: Response): void {
    const host = new URL(url).hostname;
    for (const header of response.headers.getSetCookie()) {
      this.setCookies.push(header);
      const [pair = '', ...attributes] = header.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const path = attributes.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
      const maxAge = attributes.find((a) => a.toLowerCase().startsWith('max-age='));
      if (maxAge !== undefined && Number(maxAge.slice(8)) <= 0) this.byHost.get(host)?.delete(name);
      else this.set(host, name, value, path);
    }
  }

  /** One request with this jar's cookies; the response's cookies are kept. */
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookie = this.cookieHeader(url);
    if (cookie) headers.set('cookie', cookie);
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.remember(url, response);
    return response;
  }

  /** Follows redirects (303 → GET) until a non-redirect answer or `stopAt` matches the next URL. */
  async navigate(
    url: string,
    init: RequestInit = {},
    stopAt?: (next: URL) => boolean,
  ): Promise<{ response: Response; url: string; hops: Hop[] }> {
    const hops: Hop[] = [];
    let current = url;
    let request = init;
    for (let i = 0; i < 20; i++) {
      const response = await this.fetch(current, request);
      const location = response.headers.get('location') ?? undefined;
      hops.push({ url: current, status: response.status, location });
      if (response.status < 300 || response.status >= 400 || !location)
        return { response, url: current, hops };
      const next = new URL(location, current);
      if (stopAt?.(next)) return { response, url: next.toString(), hops };
      await response.body?.cancel();
      current = next.toString();
      request = {};
    }
    throw new Error(`too many redirects from ${url}`);
  }
}
