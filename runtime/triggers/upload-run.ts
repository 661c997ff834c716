import { z } from 'zod';
import type { FileRef } from '../../connectors/index.ts';
import type { Sql } from '../../db/index.ts';
import { createRunInTx } from '../engine/create-run.ts';
import { InactiveWorkflowError } from '../engine/engine.ts';
import { storedParam } from '../engine/stored-json.ts';
import { flushWork, newWork } from '../engine/tx-work.ts';
import type { FileStore } from '../files/index.ts';
import { loadDocument } from '../store/workflow-store.ts';
import type { UploadedFile } from './multipart-body.ts';

/** The `node_id` of files a trigger brought (they belong to the run, not to a step). */
export const TRIGGER_FILES_NODE = 'trigger';

/** The stored files of one request by part name, in the order they were sent. */
export type StoredUploads = ReadonlyMap<string, readonly FileRef[]>;

export type UploadRunInput = {
  workflowId: string;
  triggerType: string;
  dedupeKey?: string | undefined;
  files: readonly UploadedFile[];
  /** The run's trigger data, made once the files are stored. */
  data(uploads: StoredUploads): unknown;
};

const WorkflowRow = z.object({ active: z.boolean(), currentVersion: z.number() }).optional();

/**
 * Starts a run with the files of the request that starts it, in one transaction: the run (deduplicated on the key),
 * its files and its trigger data commit together, so no file outlives a refused or failed start and no step starts
 * before its files are there. A duplicate delivery stores nothing and returns the run its key started. A file
 * over the file store's caps (per file, per run) throws its E_FILE_TOO_LARGE AppError with nothing committed; S3
 * objects written before the failure are deleted again. Throws InactiveWorkflowError for an inactive workflow.
 */
export async function startRunWithUploads(
  sql: Sql,
  store: FileStore,
  input: UploadRunInput,
): Promise<{ runId: string; duplicate: boolean }> {
  const discards: (() => Promise<void>)[] = [];
  try {
    return await sql.begin(async (tx) => {
      const [row] = await tx`
        select active, current_version from workflows
        where id = ${input.workflowId} and deleted_at is null for share`;
      const workflow = WorkflowRow.parse(row);
      if (!workflow?.active) throw new InactiveWorkflowError(input.workflowId);
      const document = await loadDocument(tx, input.workflowId, workflow.currentVersion);
      const work = newWork();
      const created = await createRunInTx(tx, work, {
        workflowId: input.workflowId,
        version: workflow.currentVersion,
        document,
        trigger: null,
        triggerType: input.triggerType,
        dedupeKey: input.dedupeKey,
      });
      if (created.duplicate) return created;
      // The run row goes first: a file row references it.
      await flushWork(tx, work);
      const files = store.inTransaction(tx, { runId: created.runId, nodeId: TRIGGER_FILES_NODE });
      discards.push(files.discard);
      const uploads = new Map<string, FileRef[]>();
      for (const file of input.files) {
        const ref = await files.write(
          { name: file.name || 'file', contentType: file.contentType || undefined, expectedSize: file.size },
          file.body.stream(),
        );
        uploads.set(file.field, [...(uploads.get(file.field) ?? []), ref]);
      }
      await tx`
        update runs set trigger = coalesce(${storedParam(tx, input.data(uploads))}::jsonb, 'null'::jsonb)
        where id = ${created.runId}`;
      return created;
    });
  } catch (error) {
    for (const discard of discards) await discard();
    throw error;
  }
}

/** Stored files as trigger data: `<part name>` → its file reference, or a list when the name was sent with several. */
export function uploadsByField(uploads: StoredUploads): Record<string, FileRef | FileRef[]> {
  const byField = new Map<string, FileRef | FileRef[]>();
  for (const [field, refs] of uploads) {
    const [first] = refs;
    if (first) byField.set(field, refs.length === 1 ? first : [...refs]);
  }
  return Object.fromEntries(byField);
}
