export { type EmbeddedOptions, type EmbeddedServer, startEmbeddedPostgres } from './cluster/cluster.ts';
