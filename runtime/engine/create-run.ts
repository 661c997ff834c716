import type { TransactionSql } from '../../db/index.ts';
import { traceForNewRun } from '../../lib/index.ts';
import { newId } from '../store/ids.ts';
import type { WorkflowDocument } from '../workflow/document.ts';
import { storedParam } from './stored-json.ts';
import { event, insertReady, send, startScope, type TxWork } from './tx-work.ts';

export type CreateRunInput = {
  workflowId: string;
  version: number;
  document: WorkflowDocument;
  trigger: unknown;
  triggerType: string;
  parent?: { runId: string; nodeId: string; path: string } | undefined;
  /** Exactly one run per key and workflow (webhook delivery ids for 24 h, schedule slots). */
  dedupeKey?: string | undefined;
};

/** How long a webhook delivery id keeps deduplicating. */
export const DEDUPE_WINDOW = '24 hours';

/**
 * Inserts the run and queues its start nodes, inside the caller's transaction (their jobs commit with it).
 * With a dedupe key already used in the window, returns the existing run instead.
 */
export async function createRunInTx(
  tx: TransactionSql,
  work: TxWork,
  input: CreateRunInput,
): Promise<{ runId: string; duplicate: boolean }> {
  const runId = newId('run');
  if (input.dedupeKey) {
    const claimed = await tx`
      insert into run_dedupe (workflow_id, dedupe_key, run_id) values (${input.workflowId}, ${input.dedupeKey}, ${runId})
      on conflict (workflow_id, dedupe_key) do update set run_id = excluded.run_id, created_at = now()
        where run_dedupe.created_at < now() - ${DEDUPE_WINDOW}::interval
      returning run_id`;
    if (claimed.length === 0) {
      const [existing] = await tx`
        select run_id from run_dedupe where workflow_id = ${input.workflowId} and dedupe_key = ${input.dedupeKey}`;
      return { runId: String(existing?.runId), duplicate: true };
    }
  }
  // Started inside a trace (a webhook request, a parent run's step): the run joins it; otherwise a new one.
  const trace = traceForNewRun();
  send(
    work,
    tx`
    insert into runs (id, workflow_id, version, status, trigger_type, trigger, parent_run_id, parent_node_id, parent_path,
      traceparent, trace_parent_id)
    values (${runId}, ${input.workflowId}, ${input.version}, 'queued', ${input.triggerType},
      coalesce(${storedParam(tx, input.trigger)}::jsonb, 'null'::jsonb), ${input.parent?.runId ?? null}, ${input.parent?.nodeId ?? null},
      ${input.parent?.path ?? null}, coalesce(${trace?.traceparent ?? null}::text, vmesh_new_traceparent()),
      ${trace?.traceParentId ?? null})`,
  );
  event(work, runId, 'run.created', {
    workflowId: input.workflowId,
    version: input.version,
    triggerType: input.triggerType,
  });
  const pending = work.ready;
  const hint = work.hint;
  work.ready = [];
  work.hint = { wf: input.workflowId, v: input.version };
  startScope(work, runId, input.document, '');
  void insertReady(tx, work);
  work.ready = pending;
  work.hint = hint;
  return { runId, duplicate: false };
}
