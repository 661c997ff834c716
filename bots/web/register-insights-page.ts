import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Principal } from '../../access/index.ts';
import { NotFoundError } from '../../lib/index.ts';
import { type Insights, InsightsQuery } from '../../runtime/index.ts';

/** The usage report as `principal` may see it (runtime computeInsights). */
export type InsightsReport = (principal: Principal, query: InsightsQuery) => Promise<Insights>;

/**
 * `GET /chat/api/insights?workflowId&days` for the web page's Insights section: the signed-in person's usage report
 * (their web session, or a token), the same as GET /api/insights.
 */
export function registerInsightsPage(app: FastifyInstance, report: InsightsReport): void {
  app.get('/chat/api/insights', async (request, reply) => {
    const principal = request.principal;
    if (!principal)
      return reply.code(401).send({
        error: 'E_UNAUTHORIZED',
        message:
          'Sign in on the web page (GET /auth/session says how), or send Authorization: Bearer <token>.',
      });
    const query = InsightsQuery.safeParse(request.query);
    if (!query.success)
      return reply.code(400).send({ error: 'E_BAD_REQUEST', message: z.prettifyError(query.error) });
    try {
      return await report(principal, query.data);
    } catch (error) {
      if (error instanceof NotFoundError)
        return reply.code(404).send({ error: error.code, message: error.message, hint: error.hint });
      throw error;
    }
  });
}
