import { z } from 'zod';
import { Role, roleAllows } from '../../access/index.ts';
import type { Sql } from '../../db/index.ts';
import { logger, redactSecrets } from '../../lib/index.ts';
import { createRunInTx } from '../engine/create-run.ts';
import { WORKFLOW_FAILED_TASK } from '../engine/tasks.ts';
import { flushWork, newWork } from '../engine/tx-work.ts';
import { loadDocument } from '../store/workflow-store.ts';
import { WORKFLOW_FAILED_TRIGGER, WorkflowFailedWith } from '../workflow/workflow-failed-trigger.ts';

export { WORKFLOW_FAILED_TASK };

/**
 * The job the failing transaction queues (transitions.ts failRun): the run's stored (redacted) error, when it
 * failed, and how often it had been retried before (so a retry that fails again is a new failure, while a
 * redelivered job is the same one).
 */
export const WorkflowFailedPayload = z.object({
  runId: z.string().min(1),
  retries: z.coerce.number().int().min(0),
  error: z.unknown(),
  failedAt: z.string(),
});
export type WorkflowFailedPayload = z.infer<typeof WorkflowFailedPayload>;

const Workflow = z.object({
  id: z.string(),
  name: z.string(),
  ownerId: z.string().nullable(),
  scope: z.enum(['private', 'workspace']),
  workspaceId: z.string(),
});
type Workflow = z.infer<typeof Workflow>;

const Handler = Workflow.extend({
  currentVersion: z.number(),
  ownerRole: z.string().nullable(),
  ownerDisabled: z.boolean().nullable(),
});
type Handler = z.infer<typeof Handler>;

/** The dedupe key of the error-handling run: one per failed run (and per failure of a retried run). */
export function failedDedupeKey(runId: string, retries: number): string {
  return retries === 0 ? `failed:${runId}` : `failed:${runId}:retry${retries}`;
}

/**
 * May the owner of the error-handling workflow read the failed one? Same workspace, and a private workflow
 * only for its owner or someone whose role manages anybody's workflows (access/visibility.ts canSee). A
 * handler without an active owner sees only workspace workflows.
 */
export function handlerMaySee(handler: Handler, failed: Workflow): boolean {
  if (handler.workspaceId !== failed.workspaceId) return false;
  if (failed.scope !== 'private') return true;
  if (handler.ownerId === null || handler.ownerDisabled !== false) return false;
  if (failed.ownerId === handler.ownerId) return true;
  const role = Role.safeParse(handler.ownerRole);
  return role.success && roleAllows(role.data, 'workflow.manage_all');
}

function triggerData(payload: WorkflowFailedPayload, failed: Workflow): Record<string, unknown> {
  const stored = z.record(z.string(), z.unknown()).safeParse(payload.error);
  const { nodeId, path, ...error } = stored.success ? stored.data : {};
  return redactSecrets({
    runId: payload.runId,
    workflow: { id: failed.id, name: failed.name },
    failedStep:
      typeof nodeId === 'string' ? { id: nodeId, path: typeof path === 'string' ? path : '' } : null,
    error,
    failedAt: new Date(payload.failedAt).toISOString(),
  });
}

/**
 * Starts one run of every active `workflow.failed` workflow that matches the failed run's workflow and whose
 * owner may read it. Each start is its own transaction (one that cannot start does not stop the others, and the job is retried), deduplicated
 * by `failed:<runId>` in run_dedupe: a redelivered or doubly processed job starts nothing new.
 */
export async function runWorkflowFailedJob(sql: Sql, input: unknown): Promise<void> {
  const payload = WorkflowFailedPayload.parse(input);
  const [row] = await sql`
    select w.id, w.name, w.owner_id, w.scope, w.workspace_id, r.trigger_type
    from runs r join workflows w on w.id = r.workflow_id where r.id = ${payload.runId}`;
  if (!row || row.triggerType === WORKFLOW_FAILED_TRIGGER) return;
  const failed = Workflow.parse(row);
  const candidates = await sql`
    select w.id, w.name, w.owner_id, w.scope, w.workspace_id, w.current_version,
      u.role as owner_role, (u.disabled_at is not null) as owner_disabled
    from workflows w left join users u on u.id = w.owner_id
    where w.trigger_type = ${WORKFLOW_FAILED_TRIGGER} and w.active and w.deleted_at is null
      and w.workspace_id = ${failed.workspaceId} and w.id <> ${failed.id}
    order by w.created_at`;
  const data = triggerData(payload, failed);
  let firstError: unknown;
  for (const candidate of candidates) {
    const handler = Handler.parse(candidate);
    if (!handlerMaySee(handler, failed)) continue;
    try {
      await startHandlerRun(
        sql,
        handler.id,
        failed.id,
        data,
        failedDedupeKey(payload.runId, payload.retries),
      );
    } catch (error) {
      logger.error(
        { err: error, workflowId: handler.id, failedRunId: payload.runId },
        'could not start a run for a workflow.failed trigger',
      );
      firstError ??= error;
    }
  }
  // graphile-worker retries the job; the handlers already started are deduplicated then.
  if (firstError !== undefined) throw firstError;
}

async function startHandlerRun(
  sql: Sql,
  handlerId: string,
  failedWorkflowId: string,
  data: Record<string, unknown>,
  dedupeKey: string,
): Promise<void> {
  await sql.begin(async (tx) => {
    const [row] = await tx`
      select active, current_version from workflows where id = ${handlerId} and deleted_at is null for update`;
    const workflow = z.object({ active: z.boolean(), currentVersion: z.number() }).optional().parse(row);
    if (!workflow?.active) return;
    const document = await loadDocument(tx, handlerId, workflow.currentVersion);
    if (document.trigger.type !== WORKFLOW_FAILED_TRIGGER) return;
    const listed = WorkflowFailedWith.safeParse(document.trigger.with ?? {});
    if (!listed.success) return;
    const only = listed.data.workflows ?? [];
    if (only.length > 0 && !only.includes(failedWorkflowId)) return;
    const work = newWork();
    await createRunInTx(tx, work, {
      workflowId: handlerId,
      version: workflow.currentVersion,
      document,
      trigger: data,
      triggerType: WORKFLOW_FAILED_TRIGGER,
      dedupeKey,
    });
    await flushWork(tx, work);
  });
}
