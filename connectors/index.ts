import type { ConnectorDefinition } from './sdk/index.ts';

export * from './sdk/index.ts';

/** Every built-in connector. Each lives in its own folder and is added here. */
export const builtinConnectors: ConnectorDefinition[] = [];
