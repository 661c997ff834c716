import type { FastifyInstance } from 'fastify';
import { needs, principalOf } from '../../access/index.ts';
import type { Sql } from '../../db/index.ts';
import { computeInsights, INSIGHTS_MAX_DAYS, InsightsQuery } from '../store/insights.ts';
import { parseRequest } from './http-errors.ts';
import type { RouteDoc } from './openapi.ts';

export const INSIGHTS_ROUTE_DOCS: RouteDoc[] = [
  {
    method: 'get',
    path: '/api/insights',
    summary: `Usage and health of the workflows the caller may see (permission run.read): ?workflowId (404 when not visible), ?days (default 7, at most ${INSIGHTS_MAX_DAYS}) → { from, to, days, pricesChecked, overall, workflows, conversations }; each summary has runs by status, failureRate, durationMs { p50, p95 }, runsPerDay, failingSteps, compute { stepWallMs, sandboxCpuMs } and llm { calls, inputTokens, outputTokens, costUsd, unpricedCalls, models } (a model without a price has costUsd null and counts in unpricedCalls); conversations: the builder agent's LLM use per conversation the caller took part in`,
  },
];

/** GET /api/insights: the usage report (runtime/store/insights.ts) as the caller may see it. */
export function registerInsightsRoutes(app: FastifyInstance, options: { sql: Sql }): void {
  app.get('/api/insights', needs('run.read'), async (request) => {
    const query = parseRequest(InsightsQuery, request.query, 'query');
    return computeInsights(options.sql, principalOf(request), query);
  });
}
