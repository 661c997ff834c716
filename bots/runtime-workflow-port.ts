import { allows, assertAllowed, canSee, type Permission, type Principal, seesAll } from '../access/index.ts';
import type { Sql } from '../db/index.ts';
import { describeError } from '../lib/index.ts';
import {
  assertRunVisible,
  findFileRefs,
  findWorkflow,
  getRunView,
  getVersionRow,
  listRunPage,
  listRunSummaries,
  listWorkflowRows,
  type PendingApproval,
  pendingApprovalsOf,
  type RunView,
  startRun,
  visibilityOf,
  visibleWorkflow,
  type WorkflowRow,
  waitForRun,
} from '../runtime/index.ts';
import { agentCallsOf } from './agent-calls-view.ts';
import type { RunDetail, RunStepFile, WorkflowPort, WorkflowSummary } from './workflow-port.ts';

const summary = (row: WorkflowRow): WorkflowSummary => ({
  id: row.id,
  name: row.name,
  status: row.active ? 'active' : 'inactive',
  triggerType: row.triggerType,
});

/** The `code` or `hint` a stored failure (a StepError) carries, when it is a string. */
const errorField = (error: unknown, field: 'code' | 'hint'): string | undefined => {
  if (error === null || typeof error !== 'object') return undefined;
  const value = (error as Record<string, unknown>)[field];
  return typeof value === 'string' ? value : undefined;
};

const durationOf = (startedAt: string | null, finishedAt: string | null): number | undefined =>
  startedAt && finishedAt ? Math.max(0, Date.parse(finishedAt) - Date.parse(startedAt)) : undefined;

const errorText = (error: unknown): string | undefined => {
  if (error === null || error === undefined) return undefined;
  if (typeof error === 'string') return error;
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' ? message : JSON.stringify(error);
};

/** The files a value holds (its FileRefs), each with the run's download URL. */
const filesIn = (runId: string, value: unknown): RunStepFile[] =>
  findFileRefs(value).map((ref) => ({
    id: ref.id,
    name: ref.name,
    contentType: ref.contentType,
    size: ref.size,
    href: `/api/runs/${encodeURIComponent(runId)}/files/${encodeURIComponent(ref.id)}`,
  }));

const detail = (run: RunView, workflow?: WorkflowRow, approvals: PendingApproval[] = []): RunDetail => ({
  id: run.runId,
  workflowId: run.workflowId,
  workflowName: workflow?.name,
  version: run.version,
  latestVersion: workflow?.currentVersion,
  triggerType: run.triggerType,
  status: run.status,
  startedAt: run.startedAt ?? run.createdAt,
  finishedAt: run.finishedAt ?? undefined,
  steps: run.steps.map((step) => {
    const files = filesIn(run.runId, step.output);
    const pending = approvals.find((approval) => approval.nodeId === step.id && approval.path === step.path);
    const agentCalls = step.subSteps ? agentCallsOf(step.subSteps, step.status, pending !== undefined) : [];
    return {
      id: step.path && step.path !== '' ? `${step.id}[${step.path}]` : step.id,
      nodeId: step.id,
      path: step.path,
      status: step.status,
      attempt: step.attempt,
      startedAt: step.startedAt ?? undefined,
      finishedAt: step.finishedAt ?? undefined,
      durationMs: durationOf(step.startedAt, step.finishedAt),
      output: step.output,
      error: errorText(step.error),
      errorCode: errorField(step.error, 'code'),
      errorHint: errorField(step.error, 'hint'),
      ...(files.length > 0 ? { files } : {}),
      ...(agentCalls.length > 0 ? { agentCalls } : {}),
      ...(pending
        ? {
            approval: {
              id: pending.approvalId,
              message: pending.message,
              files: filesIn(run.runId, pending.input),
            },
          }
        : {}),
    };
  }),
  output: run.output,
  error: errorText(run.error),
  errorCode: errorField(run.error, 'code'),
  errorHint: errorField(run.error, 'hint'),
});

/**
 * The runtime's stores and engine as the bots' WorkflowPort (web pages, MCP workflow tools and resources).
 * Without a viewer it sees everything (the app's own use); `forViewer` narrows it to what a person may see and do.
 */
export function createRuntimeWorkflowPort(sql: Sql, viewer?: Principal): WorkflowPort {
  const may = (permission: Permission) => viewer === undefined || allows(viewer, permission);
  const visible = (row: WorkflowRow) => viewer === undefined || canSee(viewer, row);
  const getRun = async (id: string) => {
    if (!may('run.read')) return undefined;
    try {
      if (viewer) await assertRunVisible(sql, viewer, id);
      const run = await getRunView(sql, id);
      const approvals = run.status === 'waiting' ? await pendingApprovalsOf(sql, id) : [];
      return detail(run, await findWorkflow(sql, run.workflowId), approvals);
    } catch (error) {
      if (/no run/i.test(describeError(error))) return undefined;
      throw error;
    }
  };
  return {
    async listWorkflows() {
      if (!may('workflow.read')) return [];
      const rows = await listWorkflowRows(sql, viewer ? { visibleTo: visibilityOf(viewer) } : {});
      return rows.map(summary);
    },
    async getWorkflow(id) {
      const row = await findWorkflow(sql, id);
      if (!row || !may('workflow.read') || !visible(row)) return undefined;
      const version = await getVersionRow(sql, row.id, row.currentVersion);
      return { ...summary(row), description: version.document.description, document: version.document };
    },
    async listRuns(filter) {
      if (!may('run.read')) return [];
      const runs = await listRunSummaries(sql, {
        workflowId: filter.workflowId,
        limit: filter.limit ?? 50,
        visibleToUserId: viewer && !seesAll(viewer) ? viewer.userId : undefined,
      });
      return runs.map((run) => ({
        id: run.runId,
        workflowId: run.workflowId,
        status: run.status,
        startedAt: run.startedAt ?? run.createdAt,
        finishedAt: run.finishedAt ?? undefined,
      }));
    },
    async listRunPage(filter) {
      if (!may('run.read')) return { runs: [], nextOffset: null };
      const page = await listRunPage(sql, {
        ...filter,
        visibleToUserId: viewer && !seesAll(viewer) ? viewer.userId : undefined,
      });
      const names = new Map<string, string>();
      for (const id of new Set(page.runs.map((run) => run.workflowId))) {
        const row = await findWorkflow(sql, id);
        if (row) names.set(id, row.name);
      }
      return {
        nextOffset: page.nextOffset,
        runs: page.runs.map((run) => ({
          id: run.runId,
          workflowId: run.workflowId,
          workflowName: names.get(run.workflowId),
          version: run.version,
          triggerType: run.triggerType,
          status: run.status,
          startedAt: run.startedAt ?? run.createdAt,
          finishedAt: run.finishedAt ?? undefined,
        })),
      };
    },
    getRun,
    async startRun(workflowId, input, by) {
      if (viewer) {
        await visibleWorkflow(sql, viewer, workflowId);
        assertAllowed(viewer, 'run.start');
      }
      const { runId } = await startRun(sql, workflowId, input, {
        triggerType: 'manual',
        requireActive: true,
        by,
      });
      return { runId };
    },
    async waitForRun(runId) {
      if (viewer) await assertRunVisible(sql, viewer, runId);
      const run = await waitForRun(sql, runId, { timeoutMs: 5 * 60_000 });
      return detail(run);
    },
    forViewer: (person) => createRuntimeWorkflowPort(sql, person),
  };
}
