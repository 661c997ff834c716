import type { ConnectorDefinition, StdioServers } from '../../connectors/index.ts';
import type { Sql, TransactionSql } from '../../db/index.ts';
import { ValidationError } from '../../lib/index.ts';
import { type Catalog, createCatalog } from '../workflow/catalog.ts';
import type { WorkflowDocument } from '../workflow/document.ts';
import { type ValidationReport, validateWorkflow } from '../workflow/validate.ts';
import { invalidateWorkflow } from './workflow-cache.ts';
import {
  deleteWorkflowRow,
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
  /** With `activate`, the workflow is stored and activated in one transaction (both or neither). */
  create(
    document: unknown,
    meta?: WorkflowMeta,
    options?: { activate?: boolean },
  ): Promise<{ id: string; version: number; contentHash: string; warnings: ValidationReport['warnings'] }>;
  addVersion(
    workflowId: string,
    document: unknown,
  ): Promise<{ id: string; version: number; contentHash: string; changed: boolean }>;
  activate(workflowId: string): Promise<WorkflowRow>;
  deactivate(workflowId: string): Promise<WorkflowRow>;
  remove(workflowId: string): Promise<void>;
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
  return {
    catalog,
    validate,
    async create(document, meta, options = {}) {
      const report = validate(document);
      if (!report.valid || !report.document) throw invalidDocument(report);
      const created = await sql.begin(async (tx) => {
        const inserted = await insertWorkflow(tx, report.document as WorkflowDocument, meta);
        if (options.activate) {
          await setWorkflowActive(tx, inserted.id, true);
          await syncTrigger(tx, inserted.id);
        }
        return inserted;
      });
      invalidateWorkflow(created.id);
      return { ...created, warnings: report.warnings };
    },
    async addVersion(workflowId, document) {
      const result = await afterWrite(workflowId, insertVersion(sql, workflowId, checked(document)));
      if (result.changed) await syncTrigger(sql, workflowId);
      return result;
    },
    async activate(workflowId) {
      const row = await afterWrite(workflowId, setWorkflowActive(sql, workflowId, true));
      await syncTrigger(sql, workflowId);
      return row;
    },
    async deactivate(workflowId) {
      const row = await afterWrite(workflowId, setWorkflowActive(sql, workflowId, false));
      await syncTrigger(sql, workflowId);
      return row;
    },
    async remove(workflowId) {
      await afterWrite(workflowId, deleteWorkflowRow(sql, workflowId));
      await syncTrigger(sql, workflowId);
    },
  };
}
