import { connect, type Socket } from 'node:net';
import { ConnectorError } from '../connector-error.ts';
import { blockedAddressReason, isIpLiteral } from './blocked-address.ts';
import { blockedDestinationError, findConnectorError } from './blocked-destination-error.ts';
import { createGuardedLookup, type LookupAll } from './guarded-lookup.ts';

/** Opens a TCP connection for a connector that speaks its own protocol (SMTP, Postgres); resolves once connected. */
export type OpenSocket = (target: { host: string; port: number; timeoutMs?: number }) => Promise<Socket>;

/**
 * The outbound guard for raw sockets, with the same policy as the safe fetch: an IP literal is checked as it is,
 * a name is resolved by the guarded lookup and the socket connects to exactly the address that was checked.
 * Unix-socket paths are refused. Hosts in the allow-list bypass the address check.
 */
export function createGuardedSocketOpener(options: {
  isAllowedHost: (hostname: string) => boolean;
  lookup?: LookupAll;
}): OpenSocket {
  const lookup = createGuardedLookup({
    isAllowedHost: options.isAllowedHost,
    ...(options.lookup ? { lookup: options.lookup } : {}),
  });
  return ({ host, port, timeoutMs = 15_000 }) =>
    new Promise((resolve, reject) => {
      const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
      if (!options.isAllowedHost(bare)) {
        if (bare.startsWith('/') || bare === '') {
          reject(blockedDestinationError({ host: bare || '(none)', reason: 'local socket' }));
          return;
        }
        if (isIpLiteral(bare)) {
          const reason = blockedAddressReason(bare);
          if (reason) {
            reject(blockedDestinationError({ host: bare, reason }));
            return;
          }
        }
      }
      const socket = connect({ host: bare, port, lookup, timeout: timeoutMs });
      const fail = (error: unknown) => {
        socket.destroy();
        reject(findConnectorError(error) ?? error);
      };
      socket.once('error', fail);
      socket.once('timeout', () =>
        fail(
          new ConnectorError({
            code: 'E_TIMEOUT',
            message: `Connecting to ${bare}:${port} took longer than ${timeoutMs} ms.`,
            retryable: true,
            hint: 'The server was slow or unreachable; the step is retried.',
          }),
        ),
      );
      socket.once('connect', () => {
        socket.removeListener('error', fail);
        socket.setTimeout(0);
        resolve(socket);
      });
    });
}

const strictest = createGuardedSocketOpener({ isAllowedHost: () => false });

/** The environment's socket guard, or the strictest one (no allowed hosts) when it gives none: fail closed. */
export function socketOpenerOf(env: { openSocket?: OpenSocket | undefined }): OpenSocket {
  return env.openSocket ?? strictest;
}
