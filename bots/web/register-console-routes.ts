import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { allows, audit, type Principal, requirePermission, seesAll } from '../../access/index.ts';
import type { ConnectorDefinition } from '../../connectors/index.ts';
import type { Sql } from '../../db/index.ts';
import { ValidationError } from '../../lib/index.ts';
import {
  assertRunVisible,
  cancelRun,
  changeableWorkflow,
  FailedRunsQuery,
  getStepDetail,
  getVersionRow,
  hookEndpointOf,
  listFailedRuns,
  listVersionRows,
  mayHandleHookSecret,
  owns,
  RenameWorkflowBody,
  RetryFailedBody,
  retryFailedRuns,
  retryRun,
  rollbackWorkflow,
  startRun,
  visibleWorkflow,
  type WorkflowRow,
  type WorkflowService,
} from '../../runtime/index.ts';

export type ConsoleRoutesDeps = {
  sql: Sql;
  /** The engine's workflow service (validation, trigger sync, audit), as the /api routes and the CLI use it. */
  workflows: WorkflowService;
  connectors: readonly ConnectorDefinition[];
  /** Base URL hooks and forms are reached at. */
  publicUrl: string;
};

const IdParams = z.object({ id: z.string().min(1).max(200) });
const VersionParams = IdParams.extend({ version: z.coerce.number().int().min(1) });
const StepParams = IdParams.extend({ nodeId: z.string().min(1).max(200) });
const StepQuery = z.object({ path: z.string().max(2000).default('') });
const RollbackBody = z.strictObject({ toVersion: z.number().int().min(1).optional() }).default({});
const RetryBody = z.strictObject({ version: z.number().int().min(1).optional() }).default({});
/** Trigger data for a run started by hand: a JSON object (what `trigger` holds in expressions). */
const StartBody = z
  .strictObject({
    input: z
      .record(z.string(), z.unknown(), { error: 'input must be a JSON object, e.g. {"name": "Ada"}' })
      .optional(),
  })
  .default({});

function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ValidationError({
    code: 'E_REQUEST',
    message: `Invalid ${where}: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`,
    hint: 'Correct the value and send it again.',
  });
}

const by = (request: FastifyRequest) => ({ principal: request.principal });
/** Whose private workflows' runs stay hidden: none for those who see everything, as /api/runs/failed does. */
const visibleToOf = (principal: Principal) => (seesAll(principal) ? undefined : principal.userId);

/** What the signed-in person may do with a workflow, so the page offers only buttons that will work. */
function permissionsOn(principal: Principal, row: WorkflowRow) {
  const mayChange =
    allows(principal, 'workflow.propose') &&
    (owns(principal, row) || allows(principal, 'workflow.manage_all'));
  return {
    start: allows(principal, 'run.start'),
    activate: allows(principal, 'workflow.activate'),
    change: mayChange,
    delete: mayChange,
    secret: mayHandleHookSecret(principal, row),
    retry: allows(principal, 'run.operate'),
  };
}

/**
 * The web page's console under /chat/api: a workflow's hook URL, secret on request, versions and roll back, run now,
 * pause/resume, rename, delete; a step's input, cancelling a run, retrying a failed run and retrying every run that
 * failed the same way (its failure group). Each route needs the same permission as its /api
 * counterpart and checks the object the same way (invisible → 404, not theirs to change → 403), then calls the same
 * runtime function.
 */
export function registerConsoleRoutes(app: FastifyInstance, deps: ConsoleRoutesDeps): void {
  const { sql, workflows, publicUrl } = deps;
  const base = publicUrl.replace(/\/$/, '');

  app.register(
    async (api) => {
      api.get('/workflows/:id/overview', async (request) => {
        const principal = requirePermission(request, 'workflow.read');
        const { id } = parse(IdParams, request.params, 'path');
        const row = await visibleWorkflow(sql, principal, id);
        const version = await getVersionRow(sql, id, row.currentVersion);
        const hook = hookEndpointOf(deps.connectors, id, version.document.trigger, publicUrl);
        return {
          workflow: {
            id: row.id,
            name: row.name,
            description: version.document.description,
            active: row.active,
            triggerType: row.triggerType,
            version: row.currentVersion,
            scope: row.scope,
            document: version.document,
          },
          hook: hook ?? null,
          form: row.triggerType === 'form' ? { url: `${base}/forms/${encodeURIComponent(id)}` } : null,
          may: permissionsOn(principal, row),
        };
      });

      // The hook secret leaves the server only when its owner (or an admin) asks for it, and each time is audited.
      api.post('/workflows/:id/hook-secret', async (request, reply) => {
        const principal = requirePermission(request, 'workflow.read');
        const { id } = parse(IdParams, request.params, 'path');
        const row = await visibleWorkflow(sql, principal, id);
        if (!mayHandleHookSecret(principal, row)) {
          return reply.code(403).send({
            error: {
              code: 'E_FORBIDDEN',
              message: `${principal.name} (${principal.role}) may not read the hook secret of a workflow they do not own.`,
              hint: "Ask the workflow's owner or an admin.",
            },
          });
        }
        await audit(sql, {
          principal,
          action: 'hook_secret.revealed',
          subjectType: 'workflow',
          subjectId: id,
          details: { via: 'web page' },
        });
        return reply.header('cache-control', 'no-store').send({ secret: row.hookSecret });
      });

      api.get('/workflows/:id/versions', async (request) => {
        const principal = requirePermission(request, 'workflow.read');
        const { id } = parse(IdParams, request.params, 'path');
        const row = await visibleWorkflow(sql, principal, id);
        const versions = await listVersionRows(sql, id);
        return {
          current: row.currentVersion,
          versions: versions.map((v) => ({
            version: v.version,
            contentHash: v.contentHash,
            createdAt: v.createdAt.toISOString(),
          })),
        };
      });

      api.get('/workflows/:id/versions/:version', async (request) => {
        const principal = requirePermission(request, 'workflow.read');
        const params = parse(VersionParams, request.params, 'path');
        await visibleWorkflow(sql, principal, params.id);
        const row = await getVersionRow(sql, params.id, params.version);
        return { version: row.version, createdAt: row.createdAt.toISOString(), document: row.document };
      });

      api.post('/workflows/:id/rollback', async (request) => {
        const principal = requirePermission(request, 'workflow.propose');
        const { id } = parse(IdParams, request.params, 'path');
        await changeableWorkflow(sql, principal, id);
        const body = parse(RollbackBody, request.body ?? {}, 'body');
        return rollbackWorkflow(sql, workflows, id, { toVersion: body.toVersion, by: by(request) });
      });

      api.post('/workflows/:id/runs', async (request, reply) => {
        const principal = requirePermission(request, 'run.start');
        const { id } = parse(IdParams, request.params, 'path');
        await visibleWorkflow(sql, principal, id);
        const body = parse(StartBody, request.body ?? {}, 'body');
        const { runId } = await startRun(sql, id, body.input ?? {}, {
          triggerType: 'manual',
          by: by(request),
        });
        return reply.code(202).send({ runId });
      });

      for (const verb of ['activate', 'deactivate'] as const) {
        api.post(`/workflows/:id/${verb}`, async (request) => {
          const principal = requirePermission(request, 'workflow.activate');
          const { id } = parse(IdParams, request.params, 'path');
          await visibleWorkflow(sql, principal, id);
          const row =
            verb === 'activate'
              ? await workflows.activate(id, by(request))
              : await workflows.deactivate(id, by(request));
          return { id: row.id, active: row.active };
        });
      }

      api.patch('/workflows/:id', async (request) => {
        const principal = requirePermission(request, 'workflow.propose');
        const { id } = parse(IdParams, request.params, 'path');
        await changeableWorkflow(sql, principal, id);
        const { name } = parse(RenameWorkflowBody, request.body, 'body');
        return workflows.rename(id, name, by(request));
      });

      api.delete('/workflows/:id', async (request) => {
        const principal = requirePermission(request, 'workflow.propose');
        const { id } = parse(IdParams, request.params, 'path');
        await changeableWorkflow(sql, principal, id);
        await workflows.remove(id, by(request));
        return { id, deleted: true };
      });

      api.get('/runs/:id/steps/:nodeId', async (request) => {
        const principal = requirePermission(request, 'run.read');
        const { id, nodeId } = parse(StepParams, request.params, 'path');
        const { path } = parse(StepQuery, request.query, 'query');
        await assertRunVisible(sql, principal, id);
        return getStepDetail(sql, id, nodeId, path);
      });

      api.post('/runs/:id/cancel', async (request) => {
        const principal = requirePermission(request, 'run.operate');
        const { id } = parse(IdParams, request.params, 'path');
        await assertRunVisible(sql, principal, id);
        return { runId: id, ...(await cancelRun(sql, id, by(request))) };
      });

      api.get('/runs/failed', async (request) => {
        const principal = requirePermission(request, 'run.read');
        const query = parse(FailedRunsQuery, request.query, 'query');
        if (query.workflowId) await visibleWorkflow(sql, principal, query.workflowId);
        return { failures: await listFailedRuns(sql, { ...query, visibleToUserId: visibleToOf(principal) }) };
      });

      api.post('/runs/retry-failed', async (request, reply) => {
        const principal = requirePermission(request, 'run.operate');
        const body = parse(RetryFailedBody, request.body ?? {}, 'body');
        if (body.workflowId) await visibleWorkflow(sql, principal, body.workflowId);
        const result = await retryFailedRuns(sql, {
          ...body,
          visibleToUserId: visibleToOf(principal),
          by: by(request),
        });
        return reply.code(202).send(result);
      });

      api.post('/runs/:id/retry', async (request, reply) => {
        const principal = requirePermission(request, 'run.operate');
        const { id } = parse(IdParams, request.params, 'path');
        await assertRunVisible(sql, principal, id);
        const body = parse(RetryBody, request.body ?? {}, 'body');
        return reply.code(202).send(await retryRun(sql, id, { version: body.version, by: by(request) }));
      });
    },
    { prefix: '/chat/api' },
  );
}
