export * from './auth/index.ts';
export * from './connector-error.ts';
export * from './connector-kit.ts';
export * from './credential-secrets.ts';
export * from './data-error.ts';
export * from './define.ts';
export * from './describe-target.ts';
export * from './files.ts';
export * from './knowledge-base-port.ts';
export * from './multipart.ts';
export { parseAllowHosts } from './outbound/allow-hosts.ts';
export { findConnectorError } from './outbound/blocked-destination-error.ts';
export {
  createGuardedSocketOpener,
  type OpenSocket,
  socketOpenerOf,
} from './outbound/guarded-socket.ts';
export * from './rest/index.ts';
export * from './safe-fetch.ts';
export * from './stdio-servers.ts';
export * from './trigger-credential.ts';
export * from './workflow-state.ts';
export * from './write-once.ts';
