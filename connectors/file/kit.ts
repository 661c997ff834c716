import { connectorKit } from '../sdk/connector-kit.ts';

/** Builders for the file connector's actions: no credential, no client (the bytes come from ctx.files). */
export const { action } = connectorKit<undefined, undefined>();
