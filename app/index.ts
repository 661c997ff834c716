// The public surface of app/, the composition root: the CLI starts the product through here.

export { parseServerConfig, type ServerConfig } from './config.ts';
export { createHttpServer, type ServerDependencies } from './server.ts';
export { type RunningApp, startApp } from './start.ts';
