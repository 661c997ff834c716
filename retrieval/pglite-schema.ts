import { readFile } from 'node:fs/promises';
import type { PGliteInterface } from '@electric-sql/pglite';

/** The retrieval migrations (doc_chunks and its version counter), applied in this order. */
export const RETRIEVAL_MIGRATIONS = ['2500_doc_chunks.sql', '2501_doc_chunks_version.sql'] as const;

/**
 * Applies the Up sections of the retrieval migrations to a PGlite database (pgvector tests and the bench run
 * retrieval on PGlite without the rest of the schema).
 */
export async function applyRetrievalSchema(pg: PGliteInterface): Promise<void> {
  for (const name of RETRIEVAL_MIGRATIONS) {
    const text = await readFile(new URL(`../db/migrations/${name}`, import.meta.url), 'utf8');
    await pg.exec(text.split('-- Down Migration')[0] ?? '');
  }
}

/**
 * The knowledge-base migration on PGlite, after a minimal `workspaces` table (the real one comes with the access
 * migration, which needs the rest of the schema).
 */
export async function applyKnowledgeBaseSchema(pg: PGliteInterface): Promise<void> {
  await pg.exec(
    "create table if not exists workspaces (id text primary key); insert into workspaces values ('default') on conflict do nothing",
  );
  const text = await readFile(new URL('../db/migrations/7300_kb_chunks.sql', import.meta.url), 'utf8');
  await pg.exec(text.split('-- Down Migration')[0] ?? '');
}
