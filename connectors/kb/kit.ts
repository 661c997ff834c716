import { connectorKit } from '../sdk/connector-kit.ts';
import type { KnowledgeBasePort } from '../sdk/knowledge-base-port.ts';

/** Builders for the knowledge base's actions (no credential: it lives in the product's own Postgres). */
export const { action } = connectorKit<undefined, KnowledgeBasePort>();
