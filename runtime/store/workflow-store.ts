import { z } from 'zod';
import { json, type Sql, type TransactionSql } from '../../db/index.ts';
import { NotFoundError } from '../../lib/index.ts';
import { WorkflowDocument } from '../workflow/document.ts';
import { contentHash } from './content-hash.ts';
import { newId, newSecret } from './ids.ts';
import { pinSubworkflowTargets } from './subworkflow-targets.ts';

export const WorkflowRow = z.object({
  id: z.string(),
  name: z.string(),
  active: z.boolean(),
  triggerType: z.string(),
  hookSecret: z.string(),
  currentVersion: z.number().int(),
  ownerRef: z.string().nullable(),
  /** The VelocityMesh user who owns it (null for workflows made before users existed: workspace-visible). */
  ownerId: z.string().nullable(),
  /** 'private': only its owner and admins see it (and its runs); 'workspace': everybody in the workspace. */
  scope: z.enum(['private', 'workspace']),
  conversationRef: z.string().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type WorkflowRow = z.infer<typeof WorkflowRow>;

export const WorkflowVersionRow = z.object({
  workflowId: z.string(),
  version: z.number().int(),
  document: WorkflowDocument,
  contentHash: z.string(),
  createdAt: z.date(),
});
export type WorkflowVersionRow = z.infer<typeof WorkflowVersionRow>;

export type WorkflowMeta = {
  /** Free-form reference to who asked for it in a chat (kept for older callers; not an authorization input). */
  ownerRef?: string | undefined;
  /** The owning user's id (users.id): decides who may change it and, for private ones, who sees it. */
  ownerId?: string | undefined;
  scope?: 'private' | 'workspace' | undefined;
  conversationRef?: string | undefined;
};
/** Who may see which workflows in a list: everything, or the workspace ones plus `userId`'s own. */
export type WorkflowVisibility = { seesAll: true } | { seesAll: false; userId: string };
type Db = Sql | TransactionSql;

const WORKFLOW_COLUMNS = [
  'id',
  'name',
  'active',
  'trigger_type',
  'hook_secret',
  'current_version',
  'owner_ref',
  'owner_id',
  'scope',
  'conversation_ref',
  'created_at',
  'updated_at',
];

/**
 * Stores a new workflow and its version 1 (inactive until activated). The document must already be valid; its
 * sub-workflow targets are stored as ids (see pinSubworkflowTargets).
 */
export async function insertWorkflow(
  sql: Db,
  submitted: WorkflowDocument,
  meta: WorkflowMeta = {},
): Promise<{ id: string; version: number; contentHash: string }> {
  const id = newId('wf');
  const document = await pinSubworkflowTargets(sql, submitted, {
    workflowId: id,
    owner: { ownerId: meta.ownerId ?? null, ownerRef: meta.ownerRef ?? null },
  });
  const hash = contentHash(document);
  await sql`
    insert into workflows (id, name, trigger_type, hook_secret, current_version, owner_ref, owner_id, scope, conversation_ref)
    values (${id}, ${document.name}, ${document.trigger.type}, ${newSecret()}, 1, ${meta.ownerRef ?? null},
      ${meta.ownerId ?? null}, ${meta.scope ?? 'workspace'}, ${meta.conversationRef ?? null})`;
  await sql`
    insert into workflow_versions (workflow_id, version, document, content_hash)
    values (${id}, 1, ${json(sql, document)}, ${hash})`;
  return { id, version: 1, contentHash: hash };
}

/**
 * Adds an immutable version and makes it current. An identical document returns the current version unchanged.
 * Sub-workflow targets are stored as ids, resolved for the workflow's owner (see pinSubworkflowTargets).
 */
export async function insertVersion(
  sql: Sql,
  workflowId: string,
  submitted: WorkflowDocument,
  /** Runs inside the transaction once the version is stored (the audit entry commits with it). */
  within?: (
    tx: TransactionSql,
    result: { version: number; contentHash: string; previousHash: string | null },
  ) => Promise<void>,
): Promise<{ id: string; version: number; contentHash: string; changed: boolean }> {
  return sql.begin(async (tx) => {
    const [row] =
      await tx`select current_version, owner_id, owner_ref from workflows where id = ${workflowId} and deleted_at is null for update`;
    if (!row) throw workflowNotFound(workflowId);
    const locked = z
      .object({ currentVersion: z.number(), ownerId: z.string().nullable(), ownerRef: z.string().nullable() })
      .parse(row);
    const current = locked.currentVersion;
    const document = await pinSubworkflowTargets(tx, submitted, {
      workflowId,
      owner: { ownerId: locked.ownerId, ownerRef: locked.ownerRef },
    });
    const hash = contentHash(document);
    const [same] =
      await tx`select 1 from workflow_versions where workflow_id = ${workflowId} and version = ${current} and content_hash = ${hash}`;
    if (same) return { id: workflowId, version: current, contentHash: hash, changed: false };
    const version = current + 1;
    const [previous] =
      await tx`select content_hash from workflow_versions where workflow_id = ${workflowId} and version = ${current}`;
    await tx`
      insert into workflow_versions (workflow_id, version, document, content_hash)
      values (${workflowId}, ${version}, ${json(tx, document)}, ${hash})`;
    await tx`
      update workflows set current_version = ${version}, name = ${document.name}, trigger_type = ${document.trigger.type}, updated_at = now()
      where id = ${workflowId}`;
    await within?.(tx, {
      version,
      contentHash: hash,
      previousHash: previous ? String(previous.contentHash) : null,
    });
    return { id: workflowId, version, contentHash: hash, changed: true };
  });
}

export function workflowNotFound(id: string): NotFoundError {
  return new NotFoundError({
    code: 'E_NOT_FOUND',
    message: `No workflow with id "${id}".`,
    hint: 'List workflows with `vmesh workflows list` or GET /api/workflows and use one of their ids.',
  });
}

export async function findWorkflow(sql: Db, id: string): Promise<WorkflowRow | undefined> {
  const [row] =
    await sql`select ${sql(WORKFLOW_COLUMNS)} from workflows where id = ${id} and deleted_at is null`;
  return row ? WorkflowRow.parse(row) : undefined;
}

export async function getWorkflowRow(sql: Db, id: string): Promise<WorkflowRow> {
  const row = await findWorkflow(sql, id);
  if (!row) throw workflowNotFound(id);
  return row;
}

/** By id, or else by exact name (the most recently updated one wins). */
export async function findWorkflowByIdOrName(sql: Db, ref: string): Promise<WorkflowRow | undefined> {
  const byId = await findWorkflow(sql, ref);
  if (byId) return byId;
  const [row] = await sql`
    select ${sql(WORKFLOW_COLUMNS)} from workflows where name = ${ref} and deleted_at is null order by updated_at desc limit 1`;
  return row ? WorkflowRow.parse(row) : undefined;
}

export async function listWorkflowRows(
  sql: Db,
  options: { limit?: number; offset?: number; visibleTo?: WorkflowVisibility } = {},
): Promise<WorkflowRow[]> {
  const visible = options.visibleTo;
  const rows = await sql`
    select ${sql(WORKFLOW_COLUMNS)} from workflows where deleted_at is null
    ${visible && !visible.seesAll ? sql`and (scope <> 'private' or owner_id = ${visible.userId})` : sql``}
    order by updated_at desc limit ${options.limit ?? 100} offset ${options.offset ?? 0}`;
  return rows.map((row) => WorkflowRow.parse(row));
}

/**
 * Owner and scope of a workflow, deleted ones included (their runs are still read): what visibility is decided
 * on. Undefined for an id that never existed.
 */
export async function workflowOwnership(
  sql: Db,
  id: string,
): Promise<{ ownerId: string | null; scope: 'private' | 'workspace' } | undefined> {
  const [row] = await sql`select owner_id, scope from workflows where id = ${id}`;
  return row
    ? z.object({ ownerId: z.string().nullable(), scope: z.enum(['private', 'workspace']) }).parse(row)
    : undefined;
}

export async function getVersionRow(
  sql: Db,
  workflowId: string,
  version: number,
): Promise<WorkflowVersionRow> {
  const [row] = await sql`
    select workflow_id, version, document, content_hash, created_at from workflow_versions
    where workflow_id = ${workflowId} and version = ${version}`;
  if (!row) {
    throw new NotFoundError({
      code: 'E_NOT_FOUND',
      message: `Workflow "${workflowId}" has no version ${version}.`,
      hint: 'List the versions with GET /api/workflows/:id/versions.',
    });
  }
  return WorkflowVersionRow.parse(row);
}

export async function listVersionRows(
  sql: Db,
  workflowId: string,
): Promise<{ version: number; contentHash: string; createdAt: Date }[]> {
  const rows = await sql`
    select version, content_hash, created_at from workflow_versions where workflow_id = ${workflowId} order by version desc`;
  return rows.map((row) =>
    z.object({ version: z.number(), contentHash: z.string(), createdAt: z.date() }).parse(row),
  );
}

export async function setWorkflowActive(sql: Db, id: string, active: boolean): Promise<WorkflowRow> {
  const [row] = await sql`
    update workflows set active = ${active}, updated_at = now() where id = ${id} and deleted_at is null
    returning ${sql(WORKFLOW_COLUMNS)}`;
  if (!row) throw workflowNotFound(id);
  return WorkflowRow.parse(row);
}

/** Soft delete: runs keep their history; the hook and schedule stop. */
export async function deleteWorkflowRow(sql: Db, id: string): Promise<void> {
  const rows =
    await sql`update workflows set deleted_at = now(), active = false where id = ${id} and deleted_at is null returning id`;
  if (rows.length === 0) throw workflowNotFound(id);
}

const documentCache = new Map<string, WorkflowDocument>();
const CACHE_LIMIT = 500;

/** Workflow versions never change, so their parsed documents are cached per (workflow, version). */
export async function loadDocument(sql: Db, workflowId: string, version: number): Promise<WorkflowDocument> {
  const key = `${workflowId}@${version}`;
  const cached = documentCache.get(key);
  if (cached) return cached;
  const [row] =
    await sql`select document from workflow_versions where workflow_id = ${workflowId} and version = ${version}`;
  if (!row) throw new Error(`Workflow ${workflowId} has no version ${version}.`);
  const document = WorkflowDocument.parse(row.document) as WorkflowDocument;
  if (documentCache.size >= CACHE_LIMIT) documentCache.delete(documentCache.keys().next().value as string);
  documentCache.set(key, document);
  return document;
}
