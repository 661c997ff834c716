import type { Sql } from '../../db/index.ts';
import type { WorkflowDocument } from '../workflow/document.ts';
import { findWorkflow, loadDocument, type WorkflowRow } from './workflow-store.ts';

/**
 * How long a workflow row (active flag, current version, hook secret) may be served from memory on the hook
 * path. Changes made through this process invalidate it at once; another process sees them within this bound.
 * The run itself is only created if the row still has the cached version (and is active), checked in the
 * inserting statement, so a stale entry can never start a run of an inactive workflow or an old version.
 */
export const WORKFLOW_CACHE_TTL_MS = 2_000;

export type CachedWorkflow = { row: WorkflowRow; document: WorkflowDocument; respond: boolean };

const entries = new Map<string, { value: CachedWorkflow; expires: number }>();
const LIMIT = 1_000;

/** The workflow and its current document, from memory when fresh enough; undefined when it does not exist. */
export async function getCachedWorkflow(
  sql: Sql,
  id: string,
  options: { fresh?: boolean } = {},
): Promise<CachedWorkflow | undefined> {
  const hit = entries.get(id);
  if (hit && !options.fresh && hit.expires > Date.now()) return hit.value;
  const row = await findWorkflow(sql, id);
  if (!row) {
    entries.delete(id);
    return undefined;
  }
  const document = await loadDocument(sql, row.id, row.currentVersion);
  const value = { row, document, respond: document.nodes.some((node) => node.uses === 'core.respond') };
  if (entries.size >= LIMIT) entries.delete(entries.keys().next().value as string);
  entries.set(id, { value, expires: Date.now() + WORKFLOW_CACHE_TTL_MS });
  return value;
}

/** Called by every write to a workflow row (new version, activate, deactivate, delete). */
export function invalidateWorkflow(id: string): void {
  entries.delete(id);
}
