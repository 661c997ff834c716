import { z } from 'zod';
import { audit, type Principal } from '../access/index.ts';
import type { ConnectorDefinition } from '../connectors/index.ts';
import type { Sql } from '../db/index.ts';
import { ConflictError } from '../lib/index.ts';
import {
  type AlertRuleView,
  assertMayManageAlertRule,
  type Catalog,
  cancelRun,
  contentHash,
  createAlertRule,
  createCatalog,
  createWorkflowService,
  deleteAlertRule,
  dispatchChatMessage,
  evaluateTemplate,
  findSubworkflowTarget,
  findWorkflow,
  getAlertRule,
  getVersionRow,
  listAlertRules,
  listWorkflowRows,
  maySeeAlertRule,
  RunStatus,
  retryRun,
  StepStatus,
  type StoredAlertDestination,
  startRun,
  toRuleView,
  triggerHealth,
  triggerSync,
  validateWorkflow,
} from '../runtime/index.ts';
import type {
  AlertRuleSummary,
  AlertsPort,
  CredentialsPort,
  EvaluatePort,
  RunsPort,
  RunView,
  ValidatePort,
  WorkflowDetail,
  WorkflowsPort,
} from '../tools/index.ts';
import type { ChatTriggerPort } from './conversation-service.ts';

/** The validator with the catalog bound; credentials by name. */
export function createValidatePort(catalog: Catalog): ValidatePort {
  return (document, options) =>
    validateWorkflow(document, { catalog, knownCredentials: options.knownCredentials.map((c) => c.name) });
}

export const evaluatePort: EvaluatePort = (value, scope) =>
  evaluateTemplate(value, scope as Parameters<typeof evaluateTemplate>[1], { timeoutMs: 1_000 });

/**
 * Workflows in the engine's store, through its WorkflowService (validates again, keeps trigger side effects such
 * as schedules in step with activation and versions). create/addVersion are only called when a person approves.
 */
export function createWorkflowsPort(sql: Sql, connectors: readonly ConnectorDefinition[]): WorkflowsPort {
  const service = createWorkflowService(sql, connectors, {
    onTriggerChange: triggerSync(connectors),
  });
  const detail = async (id: string): Promise<WorkflowDetail | undefined> => {
    const row = await findWorkflow(sql, id);
    if (!row) return undefined;
    const version = await getVersionRow(sql, id, row.currentVersion);
    return {
      id: row.id,
      name: row.name,
      active: row.active,
      currentVersion: row.currentVersion,
      triggerType: row.triggerType,
      conversationRef: row.conversationRef,
      document: version.document,
      contentHash: version.contentHash,
      triggerHealth: await triggerHealth(sql, id),
    };
  };
  return {
    async list() {
      const rows = await listWorkflowRows(sql);
      return rows.map((row) => ({
        id: row.id,
        name: row.name,
        active: row.active,
        currentVersion: row.currentVersion,
        triggerType: row.triggerType,
        conversationRef: row.conversationRef,
      }));
    },
    get: detail,
    async create(document, meta) {
      // Approval stores and activates in one transaction: a failure leaves no inactive orphan behind.
      const created = await service.create(
        document,
        {
          ownerRef: meta.ownerRef,
          ownerId: meta.ownerId,
          ...(meta.conversationRef ? { conversationRef: meta.conversationRef } : {}),
        },
        { activate: true, by: { actor: meta.ownerRef } },
      );
      return { id: created.id, version: created.version };
    },
    async addVersion(id, document) {
      const result = await service.addVersion(id, document);
      return { version: result.version };
    },
    async deactivate(id, by) {
      await service.deactivate(id, by);
    },
    async activate(id, by) {
      await service.activate(id, by);
    },
    async remove(id, by) {
      await service.remove(id, by);
    },
    async version(id, version) {
      const [row] =
        await sql`select 1 from workflow_versions where workflow_id = ${id} and version = ${version}`;
      return row ? (await getVersionRow(sql, id, version)).document : undefined;
    },
    async subworkflowTarget(ref, owner) {
      const stored = 'workflowId' in owner ? await findWorkflow(sql, owner.workflowId) : undefined;
      const found = await findSubworkflowTarget(
        sql,
        ref,
        'workflowId' in owner
          ? { ownerId: stored?.ownerId ?? null, ownerRef: stored?.ownerRef ?? null }
          : owner,
      );
      if (!('target' in found)) return { found: false, problem: found.problem };
      return { found: true, id: found.target.id, name: found.target.name, active: found.target.active };
    },
  };
}

const RunRow = z.object({
  id: z.string(),
  workflowId: z.string(),
  version: z.number(),
  status: RunStatus,
  trigger: z.unknown(),
  error: z.unknown(),
  createdAt: z.date(),
});
const StepRow = z.object({
  nodeId: z.string(),
  path: z.string(),
  status: StepStatus,
  attempt: z.number(),
  input: z.unknown(),
  output: z.unknown(),
  error: z.unknown(),
});

/** Most steps of a run the agent's tools read, and the largest step input or output they read whole. */
const MAX_TOOL_STEPS = 500;
const TOOL_VALUE_MAX_BYTES = 16 * 1024;

/** Runs in the engine's tables; resume = the engine's retry from the failed step, rerun = a new run. */
export function createRunsPort(sql: Sql): RunsPort {
  return {
    async get(runId) {
      const [row] =
        await sql`select id, workflow_id, version, status, trigger, error, created_at from runs where id = ${runId}`;
      if (!row) return undefined;
      const run = RunRow.parse(row);
      // Bounded like the run API's view: at most MAX_TOOL_STEPS steps, and an input or output over
      // TOOL_VALUE_MAX_BYTES comes as { truncated, bytes } (read from its stored size, never loaded).
      const steps = await sql`
        select node_id, path, status, attempt, error,
          case when octet_length(input::text) > ${TOOL_VALUE_MAX_BYTES}
            then jsonb_build_object('truncated', true, 'bytes', octet_length(input::text)) else input end as input,
          case when coalesce(output_bytes, octet_length(output::text)) > ${TOOL_VALUE_MAX_BYTES}
            then jsonb_build_object('truncated', true, 'bytes', coalesce(output_bytes, octet_length(output::text)))
            else output end as output
        from steps where run_id = ${runId}
        order by created_at, node_id, path limit ${MAX_TOOL_STEPS}`;
      return {
        ...run,
        createdAt: run.createdAt.toISOString(),
        steps: steps.map((step) => StepRow.parse(step)),
      } satisfies RunView;
    },
    async recent(workflowId, limit) {
      const rows = await sql`
        select id, workflow_id, version, status, trigger, error, created_at from runs where workflow_id = ${workflowId}
        order by created_at desc limit ${limit}`;
      return rows.map((row) => {
        const run = RunRow.parse(row);
        return {
          id: run.id,
          workflowId: run.workflowId,
          version: run.version,
          status: run.status,
          error: run.error,
          createdAt: run.createdAt.toISOString(),
        };
      });
    },
    async resume(runId, mode) {
      const [row] = await sql`select workflow_id, trigger, pruned_at from runs where id = ${runId}`;
      const run = z
        .object({ workflowId: z.string(), trigger: z.unknown(), prunedAt: z.date().nullable() })
        .parse(row);
      if (run.prunedAt) {
        throw new ConflictError({
          code: 'E_CONFLICT',
          message: `Run ${runId}'s data was pruned (VMESH_RUN_RETENTION_DAYS): its trigger data is gone.`,
          hint: 'Start a new run with run_workflow instead.',
        });
      }
      const workflow = await findWorkflow(sql, run.workflowId);
      const version = workflow?.currentVersion;
      if (mode === 'rerun') {
        const started = await startRun(sql, run.workflowId, run.trigger, { version, triggerType: 'manual' });
        return { runId: started.runId, status: 'queued' };
      }
      const resumed = await retryRun(sql, runId, { version });
      return { runId: resumed.runId, status: 'running' };
    },
    async start(workflowId, input, by) {
      const started = await startRun(sql, workflowId, input, { triggerType: 'manual', by });
      return { runId: started.runId, status: 'queued' };
    },
    async cancel(runId, by) {
      return cancelRun(sql, runId, by);
    },
  };
}

/** Credential names and types from the encrypted store (never the secrets). */
export function createCredentialsPort(store: {
  list(): Promise<{ name: string; type: string }[]>;
}): CredentialsPort {
  return { list: async () => (await store.list()).map((c) => ({ name: c.name, type: c.type })) };
}

/** Reads credential names and types straight from the table (for front-ends without the master key). */
export function createCredentialNamesPort(sql: Sql): CredentialsPort {
  return {
    async list() {
      const rows = await sql`select name, type from credentials order by name`;
      return rows.map((row) => z.object({ name: z.string(), type: z.string() }).parse(row));
    },
  };
}

export type RuntimePorts = {
  catalog: Catalog;
  validate: ValidatePort;
  evaluate: EvaluatePort;
  workflows: WorkflowsPort;
  runs: RunsPort;
  credentials: CredentialsPort;
  chatTrigger: ChatTriggerPort;
  alertsFor: (principal: Principal) => AlertsPort;
};

/** Every port wired to the real runtime, engine and credential store. */
export function createRuntimePorts(options: {
  sql: Sql;
  connectors: ConnectorDefinition[];
  credentials?: CredentialsPort;
}): RuntimePorts {
  const catalog = createCatalog(options.connectors);
  return {
    catalog,
    validate: createValidatePort(catalog),
    evaluate: evaluatePort,
    workflows: createWorkflowsPort(options.sql, options.connectors),
    runs: createRunsPort(options.sql),
    credentials: options.credentials ?? createCredentialNamesPort(options.sql),
    chatTrigger: (message) => dispatchChatMessage(options.sql, message),
    alertsFor: (principal) => createAlertsPort(options.sql, principal),
  };
}

export { contentHash };

const destinationLabel = (destination: StoredAlertDestination, conversationId: string | null): string => {
  switch (destination.type) {
    case 'conversation':
      if (destination.conversationId === undefined) return "the workflow's conversation";
      return destination.conversationId === conversationId ? 'this conversation' : 'another conversation';
    case 'slack':
    case 'discord':
      return `${destination.type}:${destination.channel}`;
    case 'webhook':
      return 'webhook';
    case 'email':
      return 'email';
  }
};

const toAlertSummary = (rule: AlertRuleView, conversationId: string | null): AlertRuleSummary => ({
  id: rule.id,
  name: rule.name,
  workflowId: rule.workflowId,
  condition: rule.condition,
  destination: destinationLabel(rule.destination, conversationId),
  cooldownMinutes: rule.cooldownMinutes,
  enabled: rule.enabled,
  openAlerts: rule.openAlerts,
});

/**
 * Alert rules for the agent's tools, as `principal` may see and change them (the API's checks). The agent only
 * makes rules that tell the conversation it is in.
 */
export function createAlertsPort(sql: Sql, principal: Principal): AlertsPort {
  return {
    async list(filter) {
      const rules = await listAlertRules(sql, { workflowId: filter.workflowId });
      const seen: AlertRuleSummary[] = [];
      for (const rule of rules)
        if (await maySeeAlertRule(sql, principal, rule.workflowId))
          seen.push(toAlertSummary(toRuleView(rule), filter.conversationId));
      return seen;
    },
    async createForConversation(input) {
      const destination = { type: 'conversation' as const, conversationId: input.conversationId };
      await assertMayManageAlertRule(sql, principal, { workflowId: input.workflowId, destination });
      const { rule } = await createAlertRule(
        sql,
        {
          name: input.name,
          workflowId: input.workflowId,
          condition: input.condition,
          destination,
          cooldownMinutes: input.cooldownMinutes,
          enabled: true,
        },
        principal.userId,
      );
      await audit(sql, {
        principal,
        action: 'alert.created',
        subjectType: 'alert',
        subjectId: rule.id,
        details: { workflowId: input.workflowId, kind: input.condition.kind, destination: 'conversation' },
      });
      return toAlertSummary(rule, input.conversationId);
    },
    async remove(id) {
      const rule = await getAlertRule(sql, id);
      if (!rule || !(await maySeeAlertRule(sql, principal, rule.workflowId))) return false;
      await assertMayManageAlertRule(sql, principal, { ...rule, destination: { type: 'conversation' } });
      await deleteAlertRule(sql, id);
      await audit(sql, { principal, action: 'alert.deleted', subjectType: 'alert', subjectId: id });
      return true;
    },
  };
}
