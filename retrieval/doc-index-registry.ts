import type { Sql } from '../db/index.ts';
import { createDocIndex, type DocIndex } from './doc-index.ts';
import type { Embedder } from './embedder.ts';
import type { QueryRunner } from './query-runner.ts';

const indexes = new WeakMap<object, Map<string, DocIndex>>();

/** The DocIndex for this client and embedder, created once (it caches the vector matrix in the exact-cosine mode). */
export function docIndexFor(
  db: Sql | QueryRunner,
  embedder: Embedder,
  log?: (message: string) => void,
): DocIndex {
  let byModel = indexes.get(db);
  if (!byModel) {
    byModel = new Map();
    indexes.set(db, byModel);
  }
  let index = byModel.get(embedder.model);
  if (!index) {
    index = createDocIndex({ db, embedder, log });
    byModel.set(embedder.model, index);
  }
  return index;
}
