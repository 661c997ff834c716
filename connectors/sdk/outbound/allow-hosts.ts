import ipaddr from 'ipaddr.js';

/** Lower-cased, without brackets or a trailing dot; IP literals in their canonical form. */
export function normalizeHost(host: string): string {
  let value = host.trim().toLowerCase();
  if (value.startsWith('[') && value.endsWith(']')) value = value.slice(1, -1);
  if (value.endsWith('.')) value = value.slice(0, -1);
  if (ipaddr.isValid(value)) {
    try {
      return ipaddr.parse(value).toString();
    } catch {
      return value;
    }
  }
  return value;
}

/** Parses `VMESH_HTTP_ALLOW_HOSTS`: comma-separated exact host names or IPs (e.g. `127.0.0.1,localhost`). */
export function parseAllowHosts(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
}

/** A predicate over hostnames: exact matches only (no wildcards, no suffixes). */
export function createHostAllowList(hosts: readonly string[]): (hostname: string) => boolean {
  const allowed = new Set(hosts.map(normalizeHost));
  return (hostname) => allowed.has(normalizeHost(hostname));
}
