// Starting a waiting step's wait, inside the transaction that records it: the node's `begin` does it through
// the primitives here (a wake-up job, an approval, a child run, the first items of a body).
import { createHash } from 'node:crypto';
import type { TransactionSql } from '../../db/index.ts';
import { findCoreNode } from '../nodes/index.ts';
import { newId } from '../store/ids.ts';
import { loadDocument } from '../store/workflow-store.ts';
import type { WorkflowDocument, WorkflowNode } from '../workflow/document.ts';
import { createRunInTx } from './create-run.ts';
import type { RunRow } from './run-context.ts';
import { childPath } from './scope-path.ts';
import { storedParam } from './stored-json.ts';
import { runnableSubworkflowTarget } from './subworkflow-target.ts';
import { enqueueStep, event, send, startScope, type TxWork } from './tx-work.ts';

/** Starts a waiting step's wait: its node's `begin`, given the transaction's primitives. */
export async function beginWait(
  tx: TransactionSql,
  work: TxWork,
  run: RunRow,
  document: WorkflowDocument,
  node: WorkflowNode,
  step: { nodeId: string; path: string },
  wait: unknown,
): Promise<void> {
  const begin = findCoreNode(node.uses)?.begin;
  if (!begin) throw new Error(`${node.uses} waits but declares no begin`);
  await begin(wait, {
    runId: run.id,
    step,
    wakeAt: (at) => enqueueStep(work, { runId: run.id, ...step }, at),
    event: (type, data) => event(work, run.id, type, data),
    requestApproval: async (message, approvers) => {
      const [row] = await tx`
        insert into approvals (id, run_id, node_id, path, message, approvers)
        values (${newId('apr')}, ${run.id}, ${step.nodeId}, ${step.path}, ${message}, ${storedParam(tx, approvers)}::jsonb)
        on conflict (run_id, node_id, path) do update set status = 'pending', decided_by = null, decided_at = null,
          message = excluded.message, approvers = excluded.approvers, comment = null
        returning id`;
      send(
        work,
        tx`update runs set status = 'waiting', updated_at = now() where id = ${run.id} and status = 'running'`,
      );
      return row?.id as string | undefined;
    },
    startChildRun: async (workflow, input, state = {}) => {
      const target = await runnableSubworkflowTarget(tx, run, workflow);
      const childDocument = await loadDocument(tx, target.id, target.currentVersion);
      const child = await createRunInTx(tx, work, {
        workflowId: target.id,
        version: target.currentVersion,
        document: childDocument,
        trigger: input,
        triggerType: 'subworkflow',
        parent: { runId: run.id, nodeId: step.nodeId, path: step.path },
      });
      send(
        work,
        tx`update steps set state = ${storedParam(tx, { ...state, childRunId: child.runId })}::jsonb where run_id = ${run.id} and node_id = ${step.nodeId} and path = ${step.path}`,
      );
      return child.runId;
    },
    createResumeToken: async (token, expiresAt) => {
      const hash = createHash('sha256').update(token).digest('hex');
      await tx`
        insert into wait_tokens (token_hash, run_id, node_id, path, expires_at)
        values (${hash}, ${run.id}, ${step.nodeId}, ${step.path}, ${expiresAt})
        on conflict (run_id, node_id, path) do update set token_hash = excluded.token_hash,
          expires_at = excluded.expires_at, created_at = now(), used_at = null, outcome = null, body = null`;
    },
    startItems: (count) => {
      for (let index = 0; index < count; index++)
        startScope(work, run.id, document, childPath(step.path, step.nodeId, index));
    },
  });
}
