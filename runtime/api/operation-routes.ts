import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { needs, principalOf, seesAll } from '../../access/index.ts';
import type { Sql } from '../../db/index.ts';
import { MAX_RETRY_FAILED, retryFailedRuns } from '../engine/retry-failed-runs.ts';
import { listFailedRuns } from '../store/failed-runs.ts';
import { changeableWorkflow, visibleWorkflow } from '../store/object-access.ts';
import type { WorkflowService } from '../store/workflow-service.ts';
import { parseRequest } from './http-errors.ts';
import type { RouteDoc } from './openapi.ts';

const IdParams = z.object({ id: z.string().min(1).max(200) });
const FailureGroup = z.string().regex(/^[0-9a-f]{32}$/, 'a failure group (32 hex digits)');

export const RenameWorkflowBody = z.strictObject({ name: z.string().trim().min(1).max(200) });
export const FailedRunsQuery = z.object({
  workflowId: z.string().min(1).max(200).optional(),
  group: FailureGroup.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export const RetryFailedBody = z
  .strictObject({
    group: FailureGroup.optional(),
    workflowId: z.string().min(1).max(200).optional(),
    limit: z.number().int().min(1).max(MAX_RETRY_FAILED).default(20),
  })
  .refine((body) => body.group !== undefined || body.workflowId !== undefined, {
    message: 'Give a failure group, a workflowId, or both.',
  });

export const OPERATION_ROUTE_DOCS: RouteDoc[] = [
  {
    method: 'patch',
    path: '/api/workflows/{id}',
    summary:
      'Rename: { name } → { id, name, previousName, version, changed } (stored as a new version that differs only in its name; what runs, the trigger and the hook URL stay; the owner or admins; audited as workflow.renamed)',
    body: RenameWorkflowBody,
  },
  {
    method: 'get',
    path: '/api/runs/failed',
    summary:
      'Recent failed runs you may see, newest first (?workflowId, ?group, ?limit): { failures: [{ runId, workflowId, workflow, version, createdAt, finishedAt, step, code, message, group }] }; `group` is the failure group (runs that failed the same way)',
  },
  {
    method: 'post',
    path: '/api/runs/retry-failed',
    summary: `Retry every failed run of a failure group and/or workflow: { group?, workflowId?, limit? (default 20, at most ${MAX_RETRY_FAILED}) } → 202 { group, workflowId, retried: [{ runId, workflowId, version }], notRetried: [{ runId, reason }], more }; each resumes at its failed step on the workflow's newest version`,
    body: RetryFailedBody,
  },
];

const visibleToOf = (request: FastifyRequest) => {
  const principal = principalOf(request);
  return seesAll(principal) ? undefined : principal.userId;
};

/** Rename, recent failures and retry-all (runs that failed the same way), each checking the object as well. */
export function registerOperationRoutes(
  app: FastifyInstance,
  options: { sql: Sql; workflows: WorkflowService },
): void {
  const { sql, workflows } = options;
  app.patch('/api/workflows/:id', needs('workflow.propose'), async (request) => {
    const { id } = parseRequest(IdParams, request.params, 'path');
    await changeableWorkflow(sql, principalOf(request), id);
    const { name } = parseRequest(RenameWorkflowBody, request.body, 'body');
    return workflows.rename(id, name, { principal: request.principal });
  });
  app.get('/api/runs/failed', needs('run.read'), async (request) => {
    const query = parseRequest(FailedRunsQuery, request.query, 'query');
    if (query.workflowId) await visibleWorkflow(sql, principalOf(request), query.workflowId);
    return { failures: await listFailedRuns(sql, { ...query, visibleToUserId: visibleToOf(request) }) };
  });
  app.post('/api/runs/retry-failed', needs('run.operate'), async (request, reply) => {
    const body = parseRequest(RetryFailedBody, request.body ?? {}, 'body');
    if (body.workflowId) await visibleWorkflow(sql, principalOf(request), body.workflowId);
    const result = await retryFailedRuns(sql, {
      ...body,
      visibleToUserId: visibleToOf(request),
      by: { principal: request.principal },
    });
    return reply.code(202).send(result);
  });
}
