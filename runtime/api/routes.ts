import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  type AuditBy,
  audit,
  installRouteAuthorization,
  needs,
  type Principal,
  permissionsOf,
  principalOf,
  seesAll,
} from '../../access/index.ts';
import type { Sql } from '../../db/index.ts';
import { AppError, NotFoundError, redactSecrets } from '../../lib/index.ts';
import { cancelRun, decideApproval, retryRun, startRun } from '../engine/engine.ts';
import { fileStoreOf } from '../engine/node-runner.ts';
import { issueResumeToken } from '../engine/resume-wait.ts';
import type { FileStore } from '../files/index.ts';
import type { CredentialService } from '../store/credential-service.ts';
import {
  assertRunVisible,
  changeableWorkflow,
  mayHandleHookSecret,
  visibilityOf,
  visibleWorkflow,
} from '../store/object-access.ts';
import { listRunPage, RunListQuery } from '../store/run-list.ts';
import { SETTLED_RUN } from '../store/run-status.ts';
import {
  DEFAULT_VIEW_STEPS,
  getRunView,
  getStepDetail,
  MAX_VIEW_STEPS,
  VIEW_OUTPUT_MAX_BYTES,
} from '../store/run-store.ts';
import { rollbackWorkflow } from '../store/workflow-rollback.ts';
import { setWorkflowScope } from '../store/workflow-scope.ts';
import type { WorkflowService } from '../store/workflow-service.ts';
import {
  getVersionRow,
  listVersionRows,
  listWorkflowRows,
  type WorkflowRow,
} from '../store/workflow-store.ts';
import { triggerHealth } from '../triggers/trigger-health.ts';
import { SetHookSecretBody } from '../triggers/webhook-secret-route.ts';
import { ACCESS_ROUTE_DOCS, registerAccessRoutes } from './access-routes.ts';
import { ALERT_ROUTE_DOCS } from './alert-routes.ts';
import { AUDIT_ROUTE_DOCS } from './audit-routes.ts';
import { CONNECT_ROUTE_DOCS } from './connect-routes.ts';
import { CREDENTIAL_ROUTE_DOCS, registerCredentialRoutes } from './credential-routes.ts';
import { parseRequest } from './http-errors.ts';
import { buildOpenApi, type RouteDoc } from './openapi.ts';

export type ApiOptions = {
  sql: Sql;
  workflows: WorkflowService;
  credentials: CredentialService;
  /** Base URL hooks are reached at, e.g. http://127.0.0.1:3000. */
  publicUrl: string;
  /** The engine's file store (downloads of run files); default: Postgres. */
  files?: FileStore;
};

const FileParams = z.object({ id: z.string().min(1).max(200), fileId: z.string().min(1).max(200) });

/** A Content-Disposition that names the file in ASCII and, for any other name, in UTF-8 (RFC 6266). */
function attachmentHeader(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

const IdParams = z.object({ id: z.string().min(1).max(200) });
const ScopeBody = z.strictObject({ scope: z.enum(['private', 'workspace']) });
const Paging = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});
export const CreateWorkflowBody = z.object({
  document: z.unknown(),
  ownerRef: z.string().max(200).optional(),
  conversationRef: z.string().max(200).optional(),
  /** Only on create: 'private' hides the workflow and its runs from everybody but its owner and admins. */
  scope: z.enum(['private', 'workspace']).optional(),
});
/** The deciding person is the request's principal; a body naming an `actor` is refused (400). */
export const ApprovalDecisionBody = z.strictObject({
  decision: z.enum(['approve', 'reject']),
  comment: z.string().max(4000).optional(),
});
export const StartRunBody = z.object({ input: z.unknown().optional() }).default({});
export const RunViewQuery = z.object({
  stepsLimit: z.coerce.number().int().min(1).max(MAX_VIEW_STEPS).default(DEFAULT_VIEW_STEPS),
  stepsOffset: z.coerce.number().int().min(0).default(0),
});
const StepParams = IdParams.extend({ nodeId: z.string().min(1).max(200) });
const StepQuery = z.object({ path: z.string().max(2000).default('') });
export const RetryRunBody = z.object({ version: z.number().int().min(1).optional() }).default({});
export const RollbackBody = z.strictObject({ toVersion: z.number().int().min(1).optional() }).default({});

/** A workflow as the API shows it; the hook secret only to its owner and to those who manage all workflows. */
function workflowView(row: WorkflowRow, publicUrl: string, viewer: Principal) {
  return {
    id: row.id,
    name: row.name,
    active: row.active,
    triggerType: row.triggerType,
    version: row.currentVersion,
    ownerRef: row.ownerRef,
    ownerId: row.ownerId,
    scope: row.scope,
    conversationRef: row.conversationRef,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    hook: {
      url: `${publicUrl.replace(/\/$/, '')}/hooks/${row.id}`,
      secret: mayHandleHookSecret(viewer, row) ? row.hookSecret : null,
      header: 'x-vmesh-secret',
    },
    // A form trigger's public page (served while the workflow is active).
    ...(row.triggerType === 'form'
      ? { form: { url: `${publicUrl.replace(/\/$/, '')}/forms/${row.id}` } }
      : {}),
  };
}

export const ROUTE_DOCS: RouteDoc[] = [
  {
    method: 'get',
    path: '/api/me',
    summary: 'Who this request acts as → { user: { id, name, role, workspace }, via, identity, permissions }',
  },
  {
    method: 'post',
    path: '/api/workflows',
    summary:
      'Create a workflow from a document (validated) → 201 { id, version }; you become its owner; scope private|workspace (default workspace)',
    body: CreateWorkflowBody,
  },
  {
    method: 'get',
    path: '/api/workflows',
    summary: 'List the workflows you may see (private ones: owner and admins)',
  },
  {
    method: 'get',
    path: '/api/workflows/{id}',
    summary:
      'Get a workflow with its current document and hook URL; the hook secret only for its owner and admins (else null); subscription { status: pending|active|failed|deleting, id?, error?, attempts, updatedAt } when its trigger registers its webhook at the vendor (else null)',
  },
  {
    method: 'put',
    path: '/api/workflows/{id}',
    summary: 'Store a new version → { id, version }',
    body: CreateWorkflowBody,
  },
  {
    method: 'post',
    path: '/api/runs/{id}/steps/{nodeId}/resume-url',
    summary:
      'A one-time resume URL for a waiting core.wait step (?path= for foreach items) → 201 { resumeUrl, resumePath, expiresAt }; the one before stops working; 409 E_NOT_WAITING',
  },
  {
    method: 'put',
    path: '/api/workflows/{id}/scope',
    summary:
      "Share with the workspace or make private: { scope: 'workspace' | 'private' } → the workflow (its owner or admins)",
    body: ScopeBody,
  },
  { method: 'delete', path: '/api/workflows/{id}', summary: 'Delete a workflow (runs are kept)' },
  { method: 'post', path: '/api/workflows/{id}/activate', summary: 'Activate: hooks and schedules start' },
  { method: 'post', path: '/api/workflows/{id}/deactivate', summary: 'Deactivate' },
  {
    method: 'post',
    path: '/api/workflows/{id}/rollback',
    summary:
      "Make an earlier version's document current again, as a new version: { toVersion? } (default: the version before the current one) → { id, from, to, version, changed }; 409 when there is no earlier version or it is the current one (its owner, or who manages all workflows)",
    body: RollbackBody,
  },
  { method: 'get', path: '/api/workflows/{id}/versions', summary: 'List versions' },
  { method: 'get', path: '/api/workflows/{id}/versions/{version}', summary: 'Get one version' },
  {
    method: 'post',
    path: '/api/workflows/{id}/runs',
    summary: 'Start a run → 202 { runId }',
    body: StartRunBody,
  },
  {
    method: 'get',
    path: '/api/runs',
    summary:
      'List runs, newest first: ?workflowId, ?status (queued|running|waiting|succeeded|failed|cancelled), ?from and ?to (ISO 8601 date-times: created at or after `from`, before `to`), ?limit (default 50, at most 500), ?offset → { runs, nextOffset } (null on the last page)',
  },
  {
    method: 'get',
    path: '/api/runs/{id}',
    summary: `A run with a page of its steps (same shape as \`vmesh run --wait --json\`): ?stepsLimit (default ${DEFAULT_VIEW_STEPS}, at most ${MAX_VIEW_STEPS}) and ?stepsOffset; \`stepsTotal\` and \`nextStepsOffset\` say what is left. A step output over ${VIEW_OUTPUT_MAX_BYTES / 1024} KiB is shown as { truncated, bytes, href }`,
  },
  {
    method: 'get',
    path: '/api/runs/{id}/steps/{nodeId}',
    summary:
      'One step in full: input, whole output, error (?path for a step inside a foreach body, as shown in the run)',
  },
  {
    method: 'get',
    path: '/api/runs/{id}/events',
    summary: 'Server-Sent Events of the run (Last-Event-ID resumes)',
  },
  {
    method: 'get',
    path: '/api/runs/{id}/files/{fileId}',
    summary:
      'Download a file a step of the run stored (a FileRef id from a step output): the bytes, streamed, as an attachment with `x-content-type-options: nosniff`; 404 for an id that is not a file of this run',
  },
  { method: 'post', path: '/api/runs/{id}/cancel', summary: 'Cancel a run' },
  {
    method: 'post',
    path: '/api/runs/{id}/retry',
    summary: 'Resume a failed run from its failed step, optionally on a newer version',
    body: RetryRunBody,
  },
  {
    method: 'post',
    path: '/api/approvals/{id}',
    summary:
      'Decide a core.approval as the calling user: { decision: approve|reject, comment? } → { runId, status } (a body `actor` is refused: the decider is who the token or session belongs to; 403 unless the step names them or names nobody)',
    body: ApprovalDecisionBody,
  },
  {
    method: 'post',
    path: '/hooks/{workflowId}',
    summary:
      'Webhook trigger, verified in trigger.with.verify\'s scheme (default vmesh: x-vmesh-timestamp + x-vmesh-signature: sha256=<hex HMAC of "v1:<timestamp>.<raw body>">, 5-minute window; or x-vmesh-signature: sha256=<hex HMAC of the raw body>; or x-vmesh-secret; connector webhook triggers such as github.issueOpened check the vendor signature, e.g. X-Hub-Signature-256; github, stripe, shopify, standard-webhooks, slack, typeform, linear, twilio, hmac: the vendor\'s signature header) → 202 { runId }, or 200 { ignored } for a delivery the trigger does not start on',
  },
  {
    method: 'get',
    path: '/hooks/{workflowId}',
    summary:
      "A sender's check of the hook URL before it delivers (Meta's hub.mode=subscribe & hub.verify_token → hub.challenge as text/plain), for connector webhook triggers that take one (whatsapp.message); 403 for a wrong verify token, 404 for other triggers",
  },
  {
    method: 'post',
    path: '/hooks/{workflowId}/{token}',
    summary:
      'Webhook trigger with verify "token": the hook secret is the last URL segment (constant-time compare; 404 for a workflow that does not verify "token")',
  },
  {
    method: 'post',
    path: '/api/workflows/{id}/hook-secret/rotate',
    summary:
      "Rotate the hook secret: { graceSeconds? } → { id, secret, previousSecretValidUntil } (the old secret works until then; the workflow's owner or admins only)",
  },
  {
    method: 'put',
    path: '/api/workflows/{id}/hook-secret',
    summary:
      "Set the hook secret to the sender's own signing secret (Stripe whsec_…, Slack signing secret): { secret, graceSeconds? } → { id, set, previousSecretValidUntil } (the secret is never echoed; graceSeconds defaults to 0; the workflow's owner or admins only; audited as hook_secret.set)",
    body: SetHookSecretBody,
  },
  ...ACCESS_ROUTE_DOCS,
  ...AUDIT_ROUTE_DOCS,
  ...ALERT_ROUTE_DOCS,
  ...CREDENTIAL_ROUTE_DOCS,
  ...CONNECT_ROUTE_DOCS,
];

/**
 * The run API under /api: workflows, versions, runs, approvals, SSE and the OpenAPI document. Every route
 * declares the permission it needs (`needs(...)`, checked before the handler by installRouteAuthorization);
 * handlers then check the object: private workflows and their runs are visible to their owner and admins only.
 */
export function registerApiRoutes(app: FastifyInstance, options: ApiOptions): void {
  const { sql, workflows, publicUrl } = options;
  installRouteAuthorization(app);
  registerAccessRoutes(app, { sql });
  registerCredentialRoutes(app, { credentials: options.credentials });

  app.get('/api/openapi.json', needs('public'), async () => buildOpenApi(ROUTE_DOCS));

  app.get('/api/me', needs('signed-in'), async (request) => {
    const principal = principalOf(request);
    return {
      user: {
        id: principal.userId,
        name: principal.name,
        role: principal.role,
        workspace: principal.workspaceId,
      },
      via: principal.via,
      identity: principal.identity,
      permissions: [...permissionsOf(principal.role)].filter(
        (p) => !principal.scopes || principal.scopes.includes(p),
      ),
    };
  });

  app.post('/api/workflows', needs('workflow.propose'), async (request, reply) => {
    const principal = principalOf(request);
    const body = parseRequest(CreateWorkflowBody, request.body, 'body');
    try {
      const created = await workflows.create(
        body.document,
        {
          ownerRef: body.ownerRef,
          ownerId: principal.userId,
          scope: body.scope,
          conversationRef: body.conversationRef,
        },
        { by: by(request) },
      );
      return reply.code(201).send({
        id: created.id,
        version: created.version,
        contentHash: created.contentHash,
        warnings: created.warnings,
      });
    } catch (error) {
      const invalid = invalidWorkflowBody(error);
      if (invalid) return reply.code(400).send(invalid);
      throw error;
    }
  });
  app.get('/api/workflows', needs('workflow.read'), async (request) => {
    const principal = principalOf(request);
    const paging = parseRequest(Paging, request.query, 'query');
    const rows = await listWorkflowRows(sql, { ...paging, visibleTo: visibilityOf(principal) });
    return { workflows: rows.map((row) => workflowView(row, publicUrl, principal)) };
  });
  app.get('/api/workflows/:id', needs('workflow.read'), async (request) => {
    const principal = principalOf(request);
    const { id } = parseRequest(IdParams, request.params, 'path');
    const row = await visibleWorkflow(sql, principal, id);
    const version = await getVersionRow(sql, id, row.currentVersion);
    return {
      ...workflowView(row, publicUrl, principal),
      document: version.document,
      contentHash: version.contentHash,
      ...(await triggerHealth(sql, id)),
    };
  });
  app.put('/api/workflows/:id', needs('workflow.propose'), async (request, reply) => {
    const { id } = parseRequest(IdParams, request.params, 'path');
    await changeableWorkflow(sql, principalOf(request), id);
    const body = parseRequest(CreateWorkflowBody, request.body, 'body');
    try {
      const result = await workflows.addVersion(id, body.document, by(request));
      return {
        id: result.id,
        version: result.version,
        contentHash: result.contentHash,
        changed: result.changed,
      };
    } catch (error) {
      const invalid = invalidWorkflowBody(error);
      if (invalid) return reply.code(400).send(invalid);
      throw error;
    }
  });
  app.delete('/api/workflows/:id', needs('workflow.propose'), async (request) => {
    const { id } = parseRequest(IdParams, request.params, 'path');
    await changeableWorkflow(sql, principalOf(request), id);
    await workflows.remove(id, by(request));
    return { id, deleted: true };
  });
  app.put('/api/workflows/:id/scope', needs('workflow.propose'), async (request) => {
    const principal = principalOf(request);
    const { id } = parseRequest(IdParams, request.params, 'path');
    const { scope } = parseRequest(ScopeBody, request.body, 'body');
    await changeableWorkflow(sql, principal, id);
    return workflowView(await setWorkflowScope(sql, id, scope, by(request)), publicUrl, principal);
  });
  app.post('/api/workflows/:id/activate', needs('workflow.activate'), async (request) => {
    const principal = principalOf(request);
    const { id } = parseRequest(IdParams, request.params, 'path');
    await visibleWorkflow(sql, principal, id);
    return workflowView(await workflows.activate(id, by(request)), publicUrl, principal);
  });
  app.post('/api/workflows/:id/deactivate', needs('workflow.activate'), async (request) => {
    const principal = principalOf(request);
    const { id } = parseRequest(IdParams, request.params, 'path');
    await visibleWorkflow(sql, principal, id);
    return workflowView(await workflows.deactivate(id, by(request)), publicUrl, principal);
  });
  app.post('/api/workflows/:id/rollback', needs('workflow.propose'), async (request) => {
    const { id } = parseRequest(IdParams, request.params, 'path');
    await changeableWorkflow(sql, principalOf(request), id);
    const body = parseRequest(RollbackBody, request.body ?? {}, 'body');
    return rollbackWorkflow(sql, workflows, id, { toVersion: body.toVersion, by: by(request) });
  });
  app.get('/api/workflows/:id/versions', needs('workflow.read'), async (request) => {
    const { id } = parseRequest(IdParams, request.params, 'path');
    await visibleWorkflow(sql, principalOf(request), id);
    const versions = await listVersionRows(sql, id);
    return {
      versions: versions.map((v) => ({
        version: v.version,
        contentHash: v.contentHash,
        createdAt: v.createdAt.toISOString(),
      })),
    };
  });
  app.get('/api/workflows/:id/versions/:version', needs('workflow.read'), async (request) => {
    const params = parseRequest(
      IdParams.extend({ version: z.coerce.number().int().min(1) }),
      request.params,
      'path',
    );
    await visibleWorkflow(sql, principalOf(request), params.id);
    const row = await getVersionRow(sql, params.id, params.version);
    return {
      id: row.workflowId,
      version: row.version,
      contentHash: row.contentHash,
      createdAt: row.createdAt.toISOString(),
      document: row.document,
    };
  });
  app.post('/api/workflows/:id/runs', needs('run.start'), async (request, reply) => {
    const { id } = parseRequest(IdParams, request.params, 'path');
    await visibleWorkflow(sql, principalOf(request), id);
    const body = parseRequest(StartRunBody, request.body ?? {}, 'body');
    const { runId } = await startRun(sql, id, body.input ?? {}, {
      triggerType: 'manual',
      by: by(request),
    });
    return reply.code(202).send({ runId });
  });

  app.get('/api/runs', needs('run.read'), async (request) => {
    const principal = principalOf(request);
    const query = parseRequest(RunListQuery, request.query, 'query');
    return listRunPage(sql, { ...query, visibleToUserId: seesAll(principal) ? undefined : principal.userId });
  });
  app.get('/api/runs/:id', needs('run.read'), async (request) => {
    const { id } = parseRequest(IdParams, request.params, 'path');
    await assertRunVisible(sql, principalOf(request), id);
    const query = parseRequest(RunViewQuery, request.query, 'query');
    return getRunView(sql, id, query);
  });
  app.get('/api/runs/:id/steps/:nodeId', needs('run.read'), async (request) => {
    const { id, nodeId } = parseRequest(StepParams, request.params, 'path');
    const { path } = parseRequest(StepQuery, request.query, 'query');
    await assertRunVisible(sql, principalOf(request), id);
    return getStepDetail(sql, id, nodeId, path);
  });
  app.get('/api/runs/:id/files/:fileId', needs('run.read'), async (request, reply) => {
    const { id, fileId } = parseRequest(FileParams, request.params, 'path');
    await assertRunVisible(sql, principalOf(request), id);
    const found = await fileStoreOf({ sql, files: options.files }).open(id, fileId);
    if (!found) {
      throw new NotFoundError({
        code: 'E_NOT_FOUND',
        message: `Run ${id} has no file ${fileId}.`,
        hint: 'Take the file id from a step output of this run (GET /api/runs/:id).',
      });
    }
    return reply
      .header('content-type', found.ref.contentType)
      .header('content-length', String(found.ref.size))
      .header('content-disposition', attachmentHeader(found.ref.name))
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'; sandbox")
      .header('cache-control', 'private, no-store')
      .send(Readable.fromWeb(found.stream as NodeReadableStream<Uint8Array>));
  });
  // The URL to hand over: minted on request for someone who may operate the run (the previous one stops working).
  app.post('/api/runs/:id/steps/:nodeId/resume-url', needs('run.operate'), async (request, reply) => {
    const principal = principalOf(request);
    const { id, nodeId } = parseRequest(StepParams, request.params, 'path');
    const { path } = parseRequest(StepQuery, request.query, 'query');
    await assertRunVisible(sql, principal, id);
    const issued = await issueResumeToken(sql, { runId: id, nodeId, path });
    if (!issued) {
      return reply.code(409).send({
        error: {
          code: 'E_NOT_WAITING',
          message: `Step "${nodeId}" of run ${id} is not a core.wait step waiting for a call.`,
          hint: 'Ask once the run view (GET /api/runs/:id) shows the step as waiting.',
        },
      });
    }
    await audit(sql, {
      principal,
      action: 'wait.resume_url_issued',
      subjectType: 'run',
      subjectId: id,
      details: { nodeId, path },
    });
    const resumePath = `/resume/${issued.token}`;
    return reply.code(201).send({
      resumeUrl: `${publicUrl.replace(/\/$/, '')}${resumePath}`,
      resumePath,
      expiresAt: issued.expiresAt?.toISOString() ?? null,
    });
  });

  app.post('/api/runs/:id/cancel', needs('run.operate'), async (request) => {
    const { id } = parseRequest(IdParams, request.params, 'path');
    await assertRunVisible(sql, principalOf(request), id);
    return { runId: id, ...(await cancelRun(sql, id, by(request))) };
  });
  app.post('/api/runs/:id/retry', needs('run.operate'), async (request, reply) => {
    const { id } = parseRequest(IdParams, request.params, 'path');
    await assertRunVisible(sql, principalOf(request), id);
    const body = parseRequest(RetryRunBody, request.body ?? {}, 'body');
    return reply.code(202).send(await retryRun(sql, id, { ...body, by: by(request) }));
  });
  app.post('/api/approvals/:id', needs('approval.decide'), async (request) => {
    const { id } = parseRequest(IdParams, request.params, 'path');
    const body = parseRequest(ApprovalDecisionBody, request.body, 'body');
    return decideApproval(sql, id, body, principalOf(request));
  });

  app.get('/api/runs/:id/events', needs('run.read'), async (request, reply) => {
    const { id } = parseRequest(IdParams, request.params, 'path');
    await assertRunVisible(sql, principalOf(request), id);
    const lastHeader = request.headers['last-event-id'];
    let after = Number(Array.isArray(lastHeader) ? lastHeader[0] : (lastHeader ?? 0)) || 0;
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    let closed = false;
    // A notification between the query and the wait below must not be lost (it would stall the stream 15 s).
    let notified = false;
    let wake: () => void = () => {
      notified = true;
    };
    request.raw.on('close', () => {
      closed = true;
      wake();
    });
    const listener = await sql.listen('vmesh_runs', (payload) => {
      if (payload.split(',').includes(id)) wake();
    });
    try {
      while (!closed) {
        const events =
          await sql`select seq, type, payload, at from run_events where run_id = ${id} and seq > ${after} order by seq limit 500`;
        for (const row of events) {
          after = Number(row.seq);
          reply.raw.write(
            `id: ${after}\nevent: ${String(row.type)}\ndata: ${JSON.stringify({ type: row.type, at: row.at, ...redactSecrets(row.payload as object) })}\n\n`,
          );
        }
        const [run] = await sql`select status from runs where id = ${id}`;
        if (events.length === 0 && run && SETTLED_RUN.has(String(run.status))) break;
        if (events.length === 0) {
          if (!notified) {
            await new Promise<void>((resolve) => {
              wake = resolve;
              setTimeout(resolve, 15_000).unref();
            });
          }
          notified = false;
          wake = () => {
            notified = true;
          };
          if (!closed) reply.raw.write(': keep-alive\n\n');
        }
      }
    } finally {
      await listener.unlisten();
      reply.raw.end();
    }
  });
}

/** Who an audit entry names for a request: its principal (set by app/authenticate.ts). */
function by(request: FastifyRequest): AuditBy {
  return { principal: request.principal };
}

/** The 400 body for a document the validator refused (create and update alike): its errors and warnings. */
function invalidWorkflowBody(error: unknown): Record<string, unknown> | undefined {
  if (!(error instanceof AppError) || error.code !== 'E_INVALID_WORKFLOW') return undefined;
  return {
    valid: false,
    errors: error.details.errors,
    warnings: error.details.warnings,
    error: { code: 'E_INVALID_WORKFLOW', message: error.message },
  };
}
