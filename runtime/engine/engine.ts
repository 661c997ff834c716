import postgres from 'postgres';
import { z } from 'zod';
import {
  type AuditBy,
  assertAllowed,
  audit,
  canSee,
  isApprover,
  type Principal,
} from '../../access/index.ts';
import type { Sql } from '../../db/index.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '../../lib/index.ts';
import { LIVE_RUN, LIVE_RUN_LIST, LIVE_STEP_LIST, RunStatus, STEP_TERMINAL } from '../store/run-status.ts';
import { getCachedWorkflow } from '../store/workflow-cache.ts';
import { getVersionRow, getWorkflowRow, loadDocument, workflowNotFound } from '../store/workflow-store.ts';
import { CANCEL_CHANNEL } from './cancellations.ts';
import { createRunInTx } from './create-run.ts';
import { insertRunBatched } from './start-batch.ts';
import { lockRun } from './transitions.ts';
import { enqueueStep, event, flushWork, newWork, send } from './tx-work.ts';

export type StartRunOptions = {
  triggerType?: string | undefined;
  dedupeKey?: string | undefined;
  /** Default: the workflow's current version. */
  version?: number | undefined;
  /** A person starting the run by hand: recorded in the audit log (triggers' runs are not audited). */
  by?: AuditBy | undefined;
};

function runNotFound(runId: string): NotFoundError {
  return new NotFoundError({
    code: 'E_NOT_FOUND',
    message: `No run with id "${runId}".`,
    hint: 'List runs with `vmesh runs list` or GET /api/runs.',
  });
}

export class InactiveWorkflowError extends ConflictError {
  constructor(workflowId: string) {
    super({
      code: 'E_INACTIVE',
      message: `Workflow "${workflowId}" is not active.`,
      hint: 'Activate it first (POST /api/workflows/:id/activate).',
    });
  }
}

/**
 * Starts a run: the run row, its start steps, their jobs and the run.created event commit together. Without an
 * explicit version this is one statement (shared with concurrent starts), guarded by the workflow row (current
 * version, and `active` with `requireActive`), so a briefly cached row can never start a stale version or an
 * inactive hook. With a dedupe key, a key already used within DEDUPE_WINDOW returns that run (`duplicate`).
 */
export async function startRun(
  sql: Sql,
  workflowId: string,
  input: unknown,
  options: StartRunOptions & { requireActive?: boolean } = {},
): Promise<{ runId: string; duplicate: boolean }> {
  const started = await startRunUnaudited(sql, workflowId, input, options);
  if (options.by && !started.duplicate)
    await audit(sql, {
      ...options.by,
      action: 'run.started',
      subjectType: 'run',
      subjectId: started.runId,
      details: { workflowId, version: options.version ?? null, triggerType: options.triggerType ?? 'manual' },
    });
  return started;
}

async function startRunUnaudited(
  sql: Sql,
  workflowId: string,
  input: unknown,
  options: StartRunOptions & { requireActive?: boolean },
): Promise<{ runId: string; duplicate: boolean }> {
  if (options.version === undefined) {
    for (const fresh of [false, true]) {
      const cached = await getCachedWorkflow(sql, workflowId, { fresh });
      if (!cached) throw workflowNotFound(workflowId);
      if (options.requireActive && !cached.row.active) {
        if (fresh) throw new InactiveWorkflowError(workflowId);
        continue;
      }
      const started = await insertRunBatched(sql, cached, input, {
        triggerType: options.triggerType ?? 'manual',
        requireActive: options.requireActive ?? false,
        dedupeKey: options.dedupeKey,
      });
      if (started.kind === 'started') return { runId: started.runId, duplicate: false };
      if (started.kind === 'duplicate') return { runId: started.runId, duplicate: true };
      if (started.kind === 'contended') break;
    }
    const latest = await getWorkflowRow(sql, workflowId);
    if (options.requireActive && !latest.active) throw new InactiveWorkflowError(workflowId);
  }
  const workflow = await getWorkflowRow(sql, workflowId);
  if (options.requireActive && !workflow.active) throw new InactiveWorkflowError(workflowId);
  const version = options.version ?? workflow.currentVersion;
  const document = await loadDocument(sql, workflowId, version);
  return sql.begin(async (tx) => {
    const work = newWork();
    const created = await createRunInTx(tx, work, {
      workflowId,
      version,
      document,
      trigger: input ?? {},
      triggerType: options.triggerType ?? 'manual',
      dedupeKey: options.dedupeKey,
    });
    await flushWork(tx, work);
    return created;
  });
}

/** How often a cancel that lost a deadlock (to a step commit of the same run) is tried again. */
const CANCEL_ATTEMPTS = 5;

/** The run finished while the cancel ran: roll its transaction back and report the run as it is. */
class RunEnded extends Error {}

/** Cancels a queued, running or waiting run (and its child runs); steps in flight are aborted and not recorded. */
export async function cancelRun(sql: Sql, runId: string, by?: AuditBy): Promise<{ status: RunStatus }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await cancelOne(sql, runId, by);
      for (const child of result.children) await cancelRun(sql, child);
      return { status: result.status };
    } catch (error) {
      if (!(error instanceof postgres.PostgresError && error.code === DEADLOCK) || attempt >= CANCEL_ATTEMPTS)
        throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt + Math.random() * 50));
    }
  }
}

const DEADLOCK = '40P01';

/**
 * One run's cancel, locking rows in the order step commits lock them: its steps (compareStepLocks: deepest path
 * first, as a foreach item's commit locks the item before its foreach), then the run row. A step commit that
 * creates a child run holds its step and then needs the run row (the child's foreign key): locking the run
 * first, as before, deadlocked. What is left (a failing step's commit stops the run's other steps in its own
 * order) is retried.
 */
async function cancelOne(
  sql: Sql,
  runId: string,
  by: AuditBy | undefined,
): Promise<{ status: RunStatus; children: string[] }> {
  const cancelled = await sql
    .begin(async (tx) => {
      const [row] = await tx`select status, workflow_id from runs where id = ${runId}`;
      if (!row) throw runNotFound(runId);
      const status = RunStatus.parse(row.status);
      if (!LIVE_RUN.has(status)) return { status, children: [] as string[] };
      const work = newWork();
      await tx`
        update steps set status = 'cancelled', finished_at = now()
        where (run_id, node_id, path) in (
          select run_id, node_id, path from steps where run_id = ${runId} and status in ${tx(LIVE_STEP_LIST)}
          -- The order of compareStepLocks (commit-batch.ts), the one step commits lock in.
          order by length(path) desc, path collate "C", node_id collate "C" for update)
          and status in ${tx(LIVE_STEP_LIST)}`;
      await tx`update approvals set status = 'cancelled' where run_id = ${runId} and status = 'pending'`;
      const [updated] = await tx`
        update runs set status = 'cancelled', finished_at = now(), updated_at = now()
        where id = ${runId} and status in ${tx(LIVE_RUN_LIST)} returning id`;
      if (!updated) throw new RunEnded();
      const children =
        await tx`select id from runs where parent_run_id = ${runId} and status in ${tx(LIVE_RUN_LIST)}`;
      event(work, runId, 'run.cancelled', {});
      // Workers running one of its steps abort it when this commits (cancellations.ts).
      send(work, tx`select pg_notify(${CANCEL_CHANNEL}, ${runId})`);
      await flushWork(tx, work);
      if (by)
        await audit(tx, {
          ...by,
          action: 'run.cancelled',
          subjectType: 'run',
          subjectId: runId,
          details: { workflowId: String(row.workflowId), was: status },
        });
      return { status: 'cancelled' as const, children: children.map((child) => String(child.id)) };
    })
    .catch(async (error: unknown) => {
      if (!(error instanceof RunEnded)) throw error;
      return undefined;
    });
  if (cancelled) return cancelled;
  const [row] = await sql`select status from runs where id = ${runId}`;
  return { status: RunStatus.parse(row?.status), children: [] };
}

/**
 * Resumes a failed run from the step(s) that failed (and those stopped by the failure), optionally on a newer
 * version of the workflow. Steps that succeeded keep their outputs.
 */
export async function retryRun(
  sql: Sql,
  runId: string,
  options: { version?: number | undefined; by?: AuditBy | undefined } = {},
): Promise<{ runId: string; version: number }> {
  return sql.begin(async (tx) => {
    const run = await lockRun(tx, runId);
    if (!run) throw runNotFound(runId);
    if (run.status !== 'failed') {
      throw new ConflictError({
        code: 'E_CONFLICT',
        message: `Run ${runId} is ${run.status}; only a failed run can be retried.`,
        hint: 'Start a new run instead, or wait for this one to finish.',
      });
    }
    const [pruned] = await tx`select 1 from runs where id = ${runId} and pruned_at is not null`;
    if (pruned) {
      throw new ConflictError({
        code: 'E_CONFLICT',
        message: `Run ${runId}'s data was pruned (VMESH_RUN_RETENTION_DAYS), so it cannot be resumed.`,
        hint: 'Start a new run of the workflow instead.',
      });
    }
    const version = options.version ?? run.version;
    if (version < run.version) {
      throw new ConflictError({
        code: 'E_CONFLICT',
        message: `Run ${runId} ran version ${run.version}; it cannot be retried on the older version ${version}.`,
        hint: 'Give the same or a newer version.',
      });
    }
    await getVersionRow(tx, run.workflowId, version);
    const work = newWork({ wf: run.workflowId, v: version });
    const [failed] = await tx`select error from runs where id = ${runId}`;
    const failedStep = z.object({ nodeId: z.string(), path: z.string() }).safeParse(failed?.error);
    const nodeId = failedStep.success ? failedStep.data.nodeId : '';
    const path = failedStep.success ? failedStep.data.path : '';
    const again = await tx`
      update steps set status = 'queued', error = null, attempt = 0, finished_at = null, origin_job = null
      where run_id = ${runId} and (status in ('cancelled', 'queued') or (status = 'failed' and node_id = ${nodeId} and path = ${path}))
      returning node_id, path`;
    for (const row of again) enqueueStep(work, { runId, nodeId: String(row.nodeId), path: String(row.path) });
    await tx`update runs set status = 'running', version = ${version}, error = null, finished_at = null, updated_at = now() where id = ${runId}`;
    event(work, runId, 'run.retried', { version, steps: again.length });
    await flushWork(tx, work);
    if (options.by)
      await audit(tx, {
        ...options.by,
        action: 'run.retried',
        subjectType: 'run',
        subjectId: runId,
        details: { workflowId: run.workflowId, fromVersion: run.version, version, steps: again.length },
      });
    return { runId, version };
  });
}

export const ApprovalDecision = z.object({
  decision: z.enum(['approve', 'reject']),
  comment: z.string().max(4000).optional(),
});
export type ApprovalDecision = z.infer<typeof ApprovalDecision>;

function approvalNotFound(approvalId: string): NotFoundError {
  return new NotFoundError({
    code: 'E_NOT_FOUND',
    message: `No approval with id "${approvalId}".`,
    hint: 'Use the id from the approval request.',
  });
}

/**
 * Records `decider`'s decision on a pending approval and resumes its run. The decider must hold
 * `approval.decide`, see the run (its workflow's visibility; 404 otherwise) and, when the step names approvers,
 * be one of them (403). `decided_by` is the decider's user name; the
 * decision is an audit entry naming them.
 */
export async function decideApproval(
  sql: Sql,
  approvalId: string,
  decision: ApprovalDecision,
  decider: Principal,
): Promise<{ runId: string; status: 'approved' | 'rejected' }> {
  return sql.begin(async (tx) => {
    const status = decision.decision === 'approve' ? 'approved' : 'rejected';
    const [pending] = await tx`
      select a.status, a.approvers, w.owner_id, w.scope from approvals a
      join runs r on r.id = a.run_id join workflows w on w.id = r.workflow_id
      where a.id = ${approvalId} for update of a`;
    if (!pending) throw approvalNotFound(approvalId);
    const ownership = z
      .object({ ownerId: z.string().nullable(), scope: z.enum(['private', 'workspace']) })
      .parse(pending);
    if (!canSee(decider, ownership)) throw approvalNotFound(approvalId);
    assertAllowed(decider, 'approval.decide');
    const approvers = z.array(z.string()).catch([]).parse(pending.approvers);
    if (!isApprover(decider, approvers)) {
      throw new ForbiddenError({
        code: 'E_FORBIDDEN',
        message: `${decider.name} is not among this step's approvers (${approvers.join(', ')}).`,
        hint: 'Ask one of them to decide.',
        details: { approvers },
      });
    }
    const [row] = await tx`
      update approvals set status = ${status}, decided_by = ${decider.name}, comment = ${decision.comment ?? null}, decided_at = now()
      where id = ${approvalId} and status = 'pending'
      returning run_id, node_id, path`;
    if (!row) {
      throw new ConflictError({
        code: 'E_CONFLICT',
        message: `Approval ${approvalId} is already ${String(pending.status)}.`,
        hint: 'Each approval is decided once.',
      });
    }
    const step = z.object({ runId: z.string(), nodeId: z.string(), path: z.string() }).parse(row);
    const work = newWork();
    await lockRun(tx, step.runId);
    await tx`update runs set status = 'running', updated_at = now() where id = ${step.runId} and status = 'waiting'
      and not exists (select 1 from approvals where run_id = ${step.runId} and status = 'pending')`;
    event(work, step.runId, 'approval.decided', {
      approvalId,
      decision: status,
      actor: decider.name,
    });
    enqueueStep(work, step);
    await flushWork(tx, work);
    await audit(tx, {
      principal: decider,
      action: status === 'approved' ? 'approval.approved' : 'approval.rejected',
      subjectType: 'approval',
      subjectId: approvalId,
      details: { runId: step.runId, nodeId: step.nodeId, comment: decision.comment ?? null },
    });
    return { runId: step.runId, status };
  });
}

export function isTerminalStep(status: string): boolean {
  return STEP_TERMINAL.has(status);
}
