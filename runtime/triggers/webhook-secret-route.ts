import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { needs, principalOf } from '../../access/index.ts';
import type { Sql } from '../../db/index.ts';
import { ForbiddenError } from '../../lib/index.ts';
import { parseRequest } from '../api/http-errors.ts';
import { mayHandleHookSecret, visibleWorkflow } from '../store/object-access.ts';
import { MAX_GRACE_SECONDS, rotateHookSecret } from './webhook-secrets.ts';

const Params = z.object({ id: z.string().min(1).max(200) });
export const RotateHookSecretBody = z
  .object({ graceSeconds: z.number().int().min(0).max(MAX_GRACE_SECONDS).optional() })
  .default({});

/**
 * POST /api/workflows/:id/hook-secret/rotate { graceSeconds? } → { id, secret, previousSecretValidUntil }.
 * Only the workflow's owner and those who manage anybody's workflows may rotate it (404 for a workflow the
 * caller cannot see, 403 for one they see but do not own).
 */
export function registerHookSecretRoute(app: FastifyInstance, options: { sql: Sql }): void {
  app.post('/api/workflows/:id/hook-secret/rotate', needs('workflow.read'), async (request) => {
    const { id } = parseRequest(Params, request.params, 'path');
    const principal = principalOf(request);
    const row = await visibleWorkflow(options.sql, principal, id);
    if (!mayHandleHookSecret(principal, row)) {
      throw new ForbiddenError({
        code: 'E_FORBIDDEN',
        message: `${principal.name} (${principal.role}) may not rotate the hook secret of a workflow they do not own.`,
        hint: "Ask the workflow's owner or an admin.",
        details: { permission: 'workflow.manage_all' },
      });
    }
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
