import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Sql } from '../../db/index.ts';
import { AppError } from '../../lib/index.ts';
import { ApprovalDecision, cancelRun, decideApproval, retryRun, startRun } from '../engine/engine.ts';
import { SETTLED_RUN } from '../store/run-status.ts';
import {
  DEFAULT_VIEW_STEPS,
  getRunView,
  getStepDetail,
  listRunSummaries,
  MAX_VIEW_STEPS,
  VIEW_OUTPUT_MAX_BYTES,
} from '../store/run-store.ts';
import type { WorkflowService } from '../store/workflow-service.ts';
import {
  getVersionRow,
  getWorkflowRow,
  listVersionRows,
  listWorkflowRows,
  type WorkflowRow,
} from '../store/workflow-store.ts';
import { parseRequest } from './http-errors.ts';
import { buildOpenApi, type RouteDoc } from './openapi.ts';

export type ApiOptions = {
  sql: Sql;
  workflows: WorkflowService;
  /** Base URL hooks are reached at, e.g. http://127.0.0.1:3000. */
  publicUrl: string;
  /** Bearer token for /api/*; undefined only on loopback (enforced by app/config). */
  apiToken: string | undefined;
};

const IdParams = z.object({ id: z.string().min(1).max(200) });
const Paging = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});
export const CreateWorkflowBody = z.object({
  document: z.unknown(),
  ownerRef: z.string().max(200).optional(),
  conversationRef: z.string().max(200).optional(),
});
export const StartRunBody = z.object({ input: z.unknown().optional() }).default({});
export const RunViewQuery = z.object({
  stepsLimit: z.coerce.number().int().min(1).max(MAX_VIEW_STEPS).default(DEFAULT_VIEW_STEPS),
  stepsOffset: z.coerce.number().int().min(0).default(0),
});
const StepParams = IdParams.extend({ nodeId: z.string().min(1).max(200) });
const StepQuery = z.object({ path: z.string().max(2000).default('') });
export const RetryRunBody = z.object({ version: z.number().int().min(1).optional() }).default({});

function workflowView(row: WorkflowRow, publicUrl: string) {
  return {
    id: row.id,
    name: row.name,
    active: row.active,
    triggerType: row.triggerType,
    version: row.currentVersion,
    ownerRef: row.ownerRef,
    conversationRef: row.conversationRef,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    hook: {
      url: `${publicUrl.replace(/\/$/, '')}/hooks/${row.id}`,
      secret: row.hookSecret,
      header: 'x-vmesh-secret',
    },
  };
}

export const ROUTE_DOCS: RouteDoc[] = [
  {
    method: 'post',
    path: '/api/workflows',
    summary: 'Create a workflow from a document (validated) → 201 { id, version }',
    body: CreateWorkflowBody,
  },
  { method: 'get', path: '/api/workflows', summary: 'List workflows' },
  {
    method: 'get',
    path: '/api/workflows/{id}',
    summary: 'Get a workflow with its current document, hook URL and secret',
  },
  {
    method: 'put',
    path: '/api/workflows/{id}',
    summary: 'Store a new version → { id, version }',
    body: CreateWorkflowBody,
  },
  { method: 'delete', path: '/api/workflows/{id}', summary: 'Delete a workflow (runs are kept)' },
  { method: 'post', path: '/api/workflows/{id}/activate', summary: 'Activate: hooks and schedules start' },
  { method: 'post', path: '/api/workflows/{id}/deactivate', summary: 'Deactivate' },
  { method: 'get', path: '/api/workflows/{id}/versions', summary: 'List versions' },
  { method: 'get', path: '/api/workflows/{id}/versions/{version}', summary: 'Get one version' },
  {
    method: 'post',
    path: '/api/workflows/{id}/runs',
    summary: 'Start a run → 202 { runId }',
    body: StartRunBody,
  },
  { method: 'get', path: '/api/runs', summary: 'List runs (?workflowId, ?status)' },
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
    summary: 'Decide a core.approval: { decision: approve|reject }',
    body: ApprovalDecision,
  },
  {
    method: 'post',
    path: '/hooks/{workflowId}',
    summary:
      'Webhook trigger (x-vmesh-timestamp + x-vmesh-signature: sha256=<hex HMAC of "<timestamp>.<raw body>">, 5-minute window; or x-vmesh-signature: sha256=<hex HMAC of the raw body>; or x-vmesh-secret; connector webhook triggers such as github.issueOpened check the vendor signature, e.g. X-Hub-Signature-256) → 202 { runId }, or 200 { ignored } for a delivery the trigger does not start on',
  },
  {
    method: 'post',
    path: '/api/workflows/{id}/hook-secret/rotate',
    summary:
      'Rotate the hook secret: { graceSeconds? } → { id, secret, previousSecretValidUntil } (the old secret works until then)',
  },
];

/** The run API under /api: workflows, versions, runs, approvals, SSE and the OpenAPI document. */
export function registerApiRoutes(app: FastifyInstance, options: ApiOptions): void {
  const { sql, workflows, publicUrl } = options;

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (!options.apiToken || !request.url.startsWith('/api/') || request.url === '/api/openapi.json') return;
    if (request.headers.authorization !== `Bearer ${options.apiToken}`) {
      return reply.code(401).send({
        error: {
          code: 'E_UNAUTHORIZED',
          message: 'Missing or wrong bearer token.',
          hint: 'Send Authorization: Bearer $VMESH_API_TOKEN.',
        },
      });
    }
  });

  app.get('/api/openapi.json', async () => buildOpenApi(ROUTE_DOCS));

  app.post('/api/workflows', async (request, reply) => {
    const body = parseRequest(CreateWorkflowBody, request.body, 'body');
    try {
      const created = await workflows.create(body.document, {
        ownerRef: body.ownerRef,
        conversationRef: body.conversationRef,
      });
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
  app.get('/api/workflows', async (request) => {
    const paging = parseRequest(Paging, request.query, 'query');
    const rows = await listWorkflowRows(sql, paging);
    return { workflows: rows.map((row) => workflowView(row, publicUrl)) };
  });
  app.get('/api/workflows/:id', async (request) => {
    const { id } = parseRequest(IdParams, request.params, 'path');
    const row = await getWorkflowRow(sql, id);
    const version = await getVersionRow(sql, id, row.currentVersion);
    return { ...workflowView(row, publicUrl), document: version.document, contentHash: version.contentHash };
  });
  app.put('/api/workflows/:id', async (request, reply) => {
    const { id } = parseRequest(IdParams, request.params, 'path');
    const body = parseRequest(CreateWorkflowBody, request.body, 'body');
    try {
      const result = await workflows.addVersion(id, body.document);
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
  app.delete('/api/workflows/:id', async (request) => {
    const { id } = parseRequest(IdParams, request.params, 'path');
    await workflows.remove(id);
    return { id, deleted: true };
  });
  app.post('/api/workflows/:id/activate', async (request) => {
    const { id } = parseRequest(IdParams, request.params, 'path');
    return workflowView(await workflows.activate(id), publicUrl);
  });
  app.post('/api/workflows/:id/deactivate', async (request) => {
    const { id } = parseRequest(IdParams, request.params, 'path');
    return workflowView(await workflows.deactivate(id), publicUrl);
  });
  app.get('/api/workflows/:id/versions', async (request) => {
    const { id } = parseRequest(IdParams, request.params, 'path');
    await getWorkflowRow(sql, id);
    const versions = await listVersionRows(sql, id);
    return {
      versions: versions.map((v) => ({
        version: v.version,
        contentHash: v.contentHash,
        createdAt: v.createdAt.toISOString(),
      })),
    };
  });
  app.get('/api/workflows/:id/versions/:version', async (request) => {
    const params = parseRequest(
      IdParams.extend({ version: z.coerce.number().int().min(1) }),
      request.params,
      'path',
    );
    const row = await getVersionRow(sql, params.id, params.version);
    return {
      id: row.workflowId,
      version: row.version,
      contentHash: row.contentHash,
      createdAt: row.createdAt.toISOString(),
      document: row.document,
    };
  });
  app.post('/api/workflows/:id/runs', async (request, reply) => {
    const { id } = parseRequest(IdParams, request.params, 'path');
    const body = parseRequest(StartRunBody, request.body ?? {}, 'body');
    const { runId } = await startRun(sql, id, body.input ?? {}, { triggerType: 'manual' });
    return reply.code(202).send({ runId });
  });

  app.get('/api/runs', async (request) => {
    const query = parseRequest(
      Paging.extend({ workflowId: z.string().optional(), status: z.string().optional() }),
      request.query,
      'query',
    );
    return { runs: await listRunSummaries(sql, query) };
  });
  app.get('/api/runs/:id', async (request) => {
    const { id } = parseRequest(IdParams, request.params, 'path');
    const query = parseRequest(RunViewQuery, request.query, 'query');
    return getRunView(sql, id, query);
  });
  app.get('/api/runs/:id/steps/:nodeId', async (request) => {
    const { id, nodeId } = parseRequest(StepParams, request.params, 'path');
    const { path } = parseRequest(StepQuery, request.query, 'query');
    return getStepDetail(sql, id, nodeId, path);
  });
  app.post('/api/runs/:id/cancel', async (request) => {
    const { id } = parseRequest(IdParams, request.params, 'path');
    return { runId: id, ...(await cancelRun(sql, id)) };
  });
  app.post('/api/runs/:id/retry', async (request, reply) => {
    const { id } = parseRequest(IdParams, request.params, 'path');
    const body = parseRequest(RetryRunBody, request.body ?? {}, 'body');
    return reply.code(202).send(await retryRun(sql, id, body));
  });
  app.post('/api/approvals/:id', async (request) => {
    const { id } = parseRequest(IdParams, request.params, 'path');
    const body = parseRequest(ApprovalDecision, request.body, 'body');
    return decideApproval(sql, id, body);
  });

  app.get('/api/runs/:id/events', async (request, reply) => {
    const { id } = parseRequest(IdParams, request.params, 'path');
    await getRunView(sql, id);
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
            `id: ${after}\nevent: ${String(row.type)}\ndata: ${JSON.stringify({ type: row.type, at: row.at, ...(row.payload as object) })}\n\n`,
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
