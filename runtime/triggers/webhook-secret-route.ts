import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Sql } from '../../db/index.ts';
import { parseRequest } from '../api/http-errors.ts';
import { MAX_GRACE_SECONDS, rotateHookSecret } from './webhook-secrets.ts';

const Params = z.object({ id: z.string().min(1).max(200) });
export const RotateHookSecretBody = z
  .object({ graceSeconds: z.number().int().min(0).max(MAX_GRACE_SECONDS).optional() })
  .default({});

/**
 * POST /api/workflows/:id/hook-secret/rotate { graceSeconds? } → { id, secret, previousSecretValidUntil }.
 * Register it next to the API routes so the bearer-token check covers it.
 */
export function registerHookSecretRoute(app: FastifyInstance, options: { sql: Sql }): void {
  app.post('/api/workflows/:id/hook-secret/rotate', async (request) => {
    const { id } = parseRequest(Params, request.params, 'path');
    const body = parseRequest(RotateHookSecretBody, request.body ?? {}, 'body');
    const rotated = await rotateHookSecret(options.sql, id, {
      graceSeconds: body.graceSeconds,
      by: { principal: request.principal },
    });
    return {
      id,
      secret: rotated.secret,
      previousSecretValidUntil: rotated.previousValidUntil?.toISOString() ?? null,
    };
  });
}
