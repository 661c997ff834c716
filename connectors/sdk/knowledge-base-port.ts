/** Which run a knowledge-base call serves: its workflow's workspace owns the collections. */
export type KnowledgeBaseScope = { runId: string };

export type KnowledgeBaseHit = {
  /** The document id given to `kb.upsert`. */
  id: string;
  /** The document's best-matching chunk. */
  text: string;
  /** Reciprocal-rank-fusion score (higher is better); comparable within one search only. */
  score: number;
};

/**
 * The knowledge base the `kb` connector's actions reach (retrieval/knowledge-base.ts on the product's own
 * Postgres); the composition root puts it into the connector environment.
 */
export type KnowledgeBasePort = {
  upsert(
    scope: KnowledgeBaseScope,
    doc: { collection: string; id: string; text: string },
  ): Promise<{ chunks: number; replaced: boolean }>;
  delete(scope: KnowledgeBaseScope, doc: { collection: string; id: string }): Promise<{ deleted: boolean }>;
  search(
    scope: KnowledgeBaseScope,
    query: { collection: string; query: string; k: number },
  ): Promise<{ results: KnowledgeBaseHit[] }>;
};
