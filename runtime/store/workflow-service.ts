import { type AuditBy, audit } from '../../access/index.ts';
import type { ConnectorDefinition, StdioServers } from '../../connectors/index.ts';
import type { Sql, TransactionSql } from '../../db/index.ts';
import { ConflictError, ValidationError } from '../../lib/index.ts';
import { type Catalog, createCatalog } from '../workflow/catalog.ts';
import type { WorkflowDocument } from '../workflow/document.ts';
import { type ValidationReport, validateWorkflow } from '../workflow/validate.ts';
import { invalidateWorkflow } from './workflow-cache.ts';
import {
  deleteWorkflowRow,
  getVersionRow,
  getWorkflowRow,
  insertVersion,
  insertWorkflow,
  setWorkflowActive,
  type WorkflowMeta,
  type WorkflowRow,
} from './workflow-store.ts';

/** Thrown when a document fails validation; `details.errors` holds the validator's errors. */
export function invalidDocument(report: ValidationReport): ValidationError {
  const first = report.errors[0];
  return new ValidationError({
    code: 'E_INVALID_WORKFLOW',
    message: `The workflow document is not valid: ${report.errors.length} error(s)${first ? `, first: ${first.code} at "${first.path}": ${first.message}` : ''}.`,
    hint: first?.hint ?? 'Fix the errors listed in details.errors, then submit again.',
    details: { errors: report.errors, warnings: report.warnings },
  });
}

export type WorkflowService = {
  catalog: Catalog;
  validate(document: unknown): ValidationReport;
  /**
   * With `activate`, the workflow is stored and activated in one transaction (both or neither). Every change is
   * an audit entry naming `by` (default: 'system'), committed with the change.
   */
  create(
    document: unknown,
    meta?: WorkflowMeta,
    options?: { activate?: boolean; by?: AuditBy | undefined },
  ): Promise<{ id: string; version: number; contentHash: string; warnings: ValidationReport['warnings'] }>;
  addVersion(
    workflowId: string,
    document: unknown,
    by?: AuditBy,
  ): Promise<{ id: string; version: number; contentHash: string; changed: boolean }>;
  /**
   * Renames at once: the name is part of the document, so the new name is stored as a new version that differs
   * only in `name` (audited as workflow.renamed). What runs does not change: sub-workflow targets are pinned to ids.
   */
  rename(
    workflowId: string,
    name: string,
    by?: AuditBy,
  ): Promise<{ id: string; name: string; previousName: string; version: number; changed: boolean }>;
  activate(workflowId: string, by?: AuditBy): Promise<WorkflowRow>;
  deactivate(workflowId: string, by?: AuditBy): Promise<WorkflowRow>;
  remove(workflowId: string, by?: AuditBy): Promise<void>;
};

export type WorkflowServiceHooks = {
  /**
   * Called after every change to a workflow's row or version (inside the same transaction when there is one), so
   * trigger side effects such as schedule ticks follow activation and versions. The runtime binds it to
   * runtime/triggers' triggerSync(connectors); the store does not import triggers.
   */
  onTriggerChange(sql: Sql | TransactionSql, workflowId: string): Promise<void>;
};

/** Validates before storing, and keeps trigger side effects in step with activation and versions. */
export function createWorkflowService(
  sql: Sql,
  connectors: readonly ConnectorDefinition[],
  hooks: WorkflowServiceHooks,
  options: { stdioServers?: StdioServers } = {},
): WorkflowService {
  const syncTrigger = hooks.onTriggerChange;
  const catalog = createCatalog([...connectors], {
    ...(options.stdioServers ? { stdioServers: options.stdioServers } : {}),
  });
  const validate = (document: unknown) => validateWorkflow(document, { catalog });
  /** The cached row of a workflow is dropped once a write to it has committed (or failed), never before. */
  const afterWrite = async <T>(workflowId: string, write: Promise<T>): Promise<T> => {
    try {
      return await write;
    } finally {
      invalidateWorkflow(workflowId);
    }
  };
  const checked = (document: unknown): WorkflowDocument => {
    const report = validate(document);
    if (!report.valid || !report.document) throw invalidDocument(report);
    return report.document;
  };
  const setActive = (workflowId: string, active: boolean, by: AuditBy | undefined) =>
    sql.begin(async (tx) => {
      const row = await setWorkflowActive(tx, workflowId, active);
      await audit(tx, {
        ...by,
        action: active ? 'workflow.activated' : 'workflow.deactivated',
        subjectType: 'workflow',
        subjectId: workflowId,
        details: { name: row.name, version: row.currentVersion },
      });
      return row;
    });
  return {
    catalog,
    validate,
    async create(document, meta, options = {}) {
      const report = validate(document);
      if (!report.valid || !report.document) throw invalidDocument(report);
      const valid = report.document;
      const created = await sql.begin(async (tx) => {
        const inserted = await insertWorkflow(tx, valid, meta);
        if (options.activate) {
          await setWorkflowActive(tx, inserted.id, true);
          await syncTrigger(tx, inserted.id);
        }
        await audit(tx, {
          ...options.by,
          action: 'workflow.created',
          subjectType: 'workflow',
          subjectId: inserted.id,
          afterHash: inserted.contentHash,
          details: { name: valid.name, version: inserted.version, activated: options.activate ?? false },
        });
        return inserted;
      });
      invalidateWorkflow(created.id);
      return { ...created, warnings: report.warnings };
    },
    async addVersion(workflowId, document, by) {
      const valid = checked(document);
      const result = await afterWrite(
        workflowId,
        insertVersion(sql, workflowId, valid, (tx, stored) =>
          audit(tx, {
            ...by,
            action: 'workflow.updated',
            subjectType: 'workflow',
            subjectId: workflowId,
            beforeHash: stored.previousHash,
            afterHash: stored.contentHash,
            details: { name: valid.name, version: stored.version },
          }).then(() => undefined),
        ),
      );
      if (result.changed) await syncTrigger(sql, workflowId);
      return result;
    },
    async rename(workflowId, name, by) {
      const before = await getWorkflowRow(sql, workflowId);
      const current = await getVersionRow(sql, workflowId, before.currentVersion);
      const valid = checked({ ...current.document, name });
      const result = await afterWrite(
        workflowId,
        insertVersion(sql, workflowId, valid, async (tx, stored) => {
          // The rename was made on the version read above; a version stored in between would be undone.
          if (stored.version !== before.currentVersion + 1) {
            throw new ConflictError({
              code: 'E_CONFLICT',
              message: `Workflow ${workflowId} changed while it was being renamed (now version ${stored.version - 1}).`,
              hint: 'Rename it again.',
            });
          }
          await audit(tx, {
            ...by,
            action: 'workflow.renamed',
            subjectType: 'workflow',
            subjectId: workflowId,
            beforeHash: stored.previousHash,
            afterHash: stored.contentHash,
            details: { from: before.name, to: valid.name, version: stored.version },
          });
        }),
      );
      return {
        id: workflowId,
        name: valid.name,
        previousName: before.name,
        version: result.version,
        changed: result.changed,
      };
    },
    async activate(workflowId, by) {
      const row = await afterWrite(workflowId, setActive(workflowId, true, by));
      await syncTrigger(sql, workflowId);
      return row;
    },
    async deactivate(workflowId, by) {
      const row = await afterWrite(workflowId, setActive(workflowId, false, by));
      await syncTrigger(sql, workflowId);
      return row;
    },
    async remove(workflowId, by) {
      await afterWrite(
        workflowId,
        sql.begin(async (tx) => {
          const before = await getWorkflowRow(tx, workflowId);
          await deleteWorkflowRow(tx, workflowId);
          await audit(tx, {
            ...by,
            action: 'workflow.deleted',
            subjectType: 'workflow',
            subjectId: workflowId,
            details: { name: before.name, version: before.currentVersion },
          });
        }),
      );
      await syncTrigger(sql, workflowId);
    },
  };
}
