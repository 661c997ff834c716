import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { needs, principalOf } from '../../access/index.ts';
import type { Sql } from '../../db/index.ts';
import { ForbiddenError } from '../../lib/index.ts';
import { parseRequest } from '../api/http-errors.ts';
import { mayHandleHookSecret, visibleWorkflow } from '../store/object-access.ts';
import { MAX_GRACE_SECONDS, rotateHookSecret, SETTABLE_SECRET, setHookSecret } from './webhook-secrets.ts';

const Params = z.object({ id: z.string().min(1).max(200) });
export const RotateHookSecretBody = z
  .object({ graceSeconds: z.number().int().min(0).max(MAX_GRACE_SECONDS).optional() })
  .default({});
export const SetHookSecretBody = z.strictObject({
  secret: z.string().regex(SETTABLE_SECRET, 'a hook secret is 16 to 512 printable characters without spaces'),
  graceSeconds: z.number().int().min(0).max(MAX_GRACE_SECONDS).optional(),
});

function refuseUnlessOwner(
  principal: ReturnType<typeof principalOf>,
  row: Parameters<typeof mayHandleHookSecret>[1],
  verb: string,
): void {
  if (!mayHandleHookSecret(principal, row)) {
    throw new ForbiddenError({
      code: 'E_FORBIDDEN',
      message: `${principal.name} (${principal.role}) may not ${verb} the hook secret of a workflow they do not own.`,
      hint: "Ask the workflow's owner or an admin.",
      details: { permission: 'workflow.manage_all' },
    });
  }
}

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
    refuseUnlessOwner(principal, row, 'rotate');
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

  /** PUT /api/workflows/:id/hook-secret { secret, graceSeconds? }: the sender's own signing secret (never echoed). */
  app.put('/api/workflows/:id/hook-secret', needs('workflow.read'), async (request) => {
    const { id } = parseRequest(Params, request.params, 'path');
    const principal = principalOf(request);
    const row = await visibleWorkflow(options.sql, principal, id);
    refuseUnlessOwner(principal, row, 'set');
    const body = parseRequest(SetHookSecretBody, request.body ?? {}, 'body');
    const set = await setHookSecret(options.sql, id, body.secret, {
      graceSeconds: body.graceSeconds,
      by: { principal: request.principal },
    });
    return { id, set: true, previousSecretValidUntil: set.previousValidUntil?.toISOString() ?? null };
  });
}
