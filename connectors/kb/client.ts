import { ConnectorError } from '../sdk/connector-error.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';
import type { KnowledgeBasePort } from '../sdk/knowledge-base-port.ts';

/** The kb connector's client is the environment's knowledge base; without one every call fails clearly. */
export function createKnowledgeBaseClient(options: { env: ConnectorEnvironment }): KnowledgeBasePort {
  const port = options.env.knowledgeBase;
  if (port) return port;
  const missing = (): never => {
    throw new ConnectorError({
      code: 'E_KB_UNAVAILABLE',
      message: 'kb: this process has no knowledge base wired (the worker was started without one).',
      retryable: false,
      hint: 'Run the workflow on the VelocityMesh server or `vmesh worker`, which wire the knowledge base on their Postgres.',
    });
  };
  return { upsert: missing, delete: missing, search: missing };
}
