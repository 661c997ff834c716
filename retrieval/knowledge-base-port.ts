import type { KnowledgeBasePort, KnowledgeBaseScope } from '../connectors/index.ts';
import { ConnectorError } from '../connectors/index.ts';
import type { Sql } from '../db/index.ts';
import { createEmbedder } from './create-embedder.ts';
import type { Embedder } from './embedder.ts';
import { createKnowledgeBaseStore, type KnowledgeBaseStore } from './knowledge-base.ts';
import { asQueryRunner, type QueryRunner } from './query-runner.ts';

/**
 * The knowledge base the `kb` actions use: the store on the product's Postgres, with each call's collections
 * taken from the workspace of the run's workflow.
 */
export function createKnowledgeBase(
  db: Sql | QueryRunner,
  options: { embedder?: Embedder; log?: (message: string) => void; store?: KnowledgeBaseStore } = {},
): KnowledgeBasePort {
  const runner = asQueryRunner(db);
  const store =
    options.store ??
    createKnowledgeBaseStore({
      db: runner,
      embedder: options.embedder ?? createEmbedder(),
      log: options.log,
    });

  async function workspaceOf(scope: KnowledgeBaseScope): Promise<string> {
    const [row] = await runner.query<{ ws: string }>(
      'select w.workspace_id as ws from runs as r join workflows as w on w.id = r.workflow_id where r.id = $1',
      [scope.runId],
    );
    if (!row) {
      throw new ConnectorError({
        code: 'E_KB_SCOPE',
        message: `kb: run ${scope.runId} was not found, so its workspace is unknown.`,
        retryable: false,
        hint: 'kb actions run inside workflow runs; start the workflow instead of calling the action directly.',
      });
    }
    return row.ws;
  }

  return {
    async upsert(scope, doc) {
      const { chunks, replaced } = await store.upsert(await workspaceOf(scope), doc.collection, [
        { id: doc.id, text: doc.text },
      ]);
      return { chunks, replaced: replaced > 0 };
    },
    async delete(scope, doc) {
      return { deleted: await store.remove(await workspaceOf(scope), doc.collection, doc.id) };
    },
    async search(scope, query) {
      const results = await store.search(await workspaceOf(scope), query.collection, query.query, {
        k: query.k,
      });
      return { results };
    },
  };
}
