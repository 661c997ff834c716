import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { needs, principalOf } from '../../access/index.ts';
import type { Sql } from '../../db/index.ts';
import { changeableWorkflow, visibleWorkflow } from '../store/object-access.ts';
import {
  getWorkflowRetention,
  MAX_RETENTION_DAYS,
  setWorkflowRetention,
  WorkflowRetentionDays,
} from '../store/workflow-retention.ts';
import { parseRequest } from './http-errors.ts';
import type { RouteDoc } from './openapi.ts';

const IdParams = z.object({ id: z.string().min(1).max(200) });
export const RetentionBody = z.strictObject({
  days: WorkflowRetentionDays.describe(
    `Days to keep the data of this workflow's finished runs (0: forever, at most ${MAX_RETENTION_DAYS}); null follows VMESH_RUN_RETENTION_DAYS.`,
  ),
});

export const RETENTION_ROUTE_DOCS: RouteDoc[] = [
  {
    method: 'get',
    path: '/api/workflows/{id}/retention',
    summary:
      "How long this workflow's run data is kept → { id, days (its own, null: the global VMESH_RUN_RETENTION_DAYS), effectiveDays (0: forever) }",
  },
  {
    method: 'put',
    path: '/api/workflows/{id}/retention',
    summary:
      "Keep this workflow's run data for { days } (0: forever; null: back to VMESH_RUN_RETENTION_DAYS), applied by the hourly prune job → { id, days, effectiveDays } (its owner or admins)",
    body: RetentionBody,
  },
];

/** GET and PUT /api/workflows/:id/retention; `globalDays` is VMESH_RUN_RETENTION_DAYS as the prune job reads it. */
export function registerRetentionRoutes(
  app: FastifyInstance,
  options: { sql: Sql; globalDays: number },
): void {
  const { sql, globalDays } = options;
  app.get('/api/workflows/:id/retention', needs('workflow.read'), async (request) => {
    const { id } = parseRequest(IdParams, request.params, 'path');
    await visibleWorkflow(sql, principalOf(request), id);
    return getWorkflowRetention(sql, id, globalDays);
  });
  app.put('/api/workflows/:id/retention', needs('workflow.propose'), async (request) => {
    const { id } = parseRequest(IdParams, request.params, 'path');
    const { days } = parseRequest(RetentionBody, request.body, 'body');
    await changeableWorkflow(sql, principalOf(request), id);
    return setWorkflowRetention(sql, id, days, globalDays, { principal: request.principal });
  });
}
