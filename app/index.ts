// The public surface of app/, the composition root: the CLI starts the product through here.

export { parseServerConfig, type ServerConfig } from './config.ts';
export { createHttpServer, type ServerDependencies } from './server.ts';
export { type RunningApp, type StartOptions, startApp } from './start.ts';
export {
  CSRF_HEADER,
  createLoginLink,
  createWebAuth,
  DEFAULT_LINK_TTL_MS,
  MAX_LINK_TTL_MS,
  parseDuration,
  parseWebAuthConfig,
  SESSION_COOKIE,
} from './web-auth/index.ts';
