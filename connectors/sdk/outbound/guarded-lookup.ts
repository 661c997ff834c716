import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { blockedAddressReason } from './blocked-address.ts';
import { blockedDestinationError } from './blocked-destination-error.ts';

/** The shape of `dns.lookup` with `all: true`; tests inject their own. */
export type LookupAll = (
  hostname: string,
  options: LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

const defaultLookupAll: LookupAll = (hostname, options, callback) => dnsLookup(hostname, options, callback);

/**
 * A `lookup` for net/tls.connect that refuses to hand back a blocked address. Because the socket
 * connects to exactly the address this returns, a DNS answer that changes between a check and the
 * connection (rebinding) cannot slip through: the check IS the connection's resolution.
 */
export function createGuardedLookup(options: {
  isAllowedHost: (hostname: string) => boolean;
  lookup?: LookupAll;
}): LookupFunction {
  const lookupAll = options.lookup ?? defaultLookupAll;
  return (hostname, lookupOptions, callback) => {
    const family = typeof lookupOptions.family === 'number' ? lookupOptions.family : undefined;
    lookupAll(
      hostname,
      { ...lookupOptions, all: true, ...(family ? { family } : {}) },
      (error, addresses) => {
        if (error) {
          callback(error, '', 0);
          return;
        }
        if (addresses.length === 0) {
          const notFound: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
          notFound.code = 'ENOTFOUND';
          callback(notFound, '', 0);
          return;
        }
        if (!options.isAllowedHost(hostname)) {
          for (const entry of addresses) {
            const reason = blockedAddressReason(entry.address);
            if (reason) {
              callback(blockedDestinationError({ host: hostname, address: entry.address, reason }), '', 0);
              return;
            }
          }
        }
        if (lookupOptions.all) {
          callback(null, addresses);
          return;
        }
        const first = addresses[0]!;
        callback(null, first.address, first.family);
      },
    );
  };
}
