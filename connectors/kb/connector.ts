import { fileURLToPath } from 'node:url';
import { defineConnector } from '../sdk/define.ts';
import type { KnowledgeBasePort } from '../sdk/knowledge-base-port.ts';
import { deleteDocument } from './actions/delete.ts';
import { search } from './actions/search.ts';
import { upsert } from './actions/upsert.ts';
import { createKnowledgeBaseClient } from './client.ts';

export const kbConnector = defineConnector<undefined, KnowledgeBasePort>({
  id: 'kb',
  version: '1.0.0',
  title: 'Knowledge base',
  description:
    "Store documents in named collections of the workspace and search them (vector + full text) on VelocityMesh's own Postgres: index docs, then answer questions from them.",
  createClient: createKnowledgeBaseClient,
  actions: [upsert, deleteDocument, search],
  triggers: [],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
