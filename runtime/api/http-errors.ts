import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import {
  AppError,
  ConflictError,
  ForbiddenError,
  logger,
  NotFoundError,
  UnauthenticatedError,
  ValidationError,
} from '../../lib/index.ts';

/** Parses a request part with zod; a failure becomes a 400 with the issues. */
export function parseRequest<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ValidationError({
    code: 'E_REQUEST',
    message: `Invalid ${where}: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`,
    hint: 'See /api/openapi.json for the expected shape.',
  });
}

function statusOf(error: unknown): number {
  if (error instanceof UnauthenticatedError) return 401;
  if (error instanceof ForbiddenError) return 403;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof ConflictError) return 409;
  if (error instanceof ValidationError) return 400;
  const code = (error as { code?: unknown }).code;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return 413;
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return 415;
  if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || (error as { statusCode?: unknown }).statusCode === 400)
    return 400;
  if (
    code === 'ECONNREFUSED' ||
    code === 'CONNECTION_CLOSED' ||
    code === 'CONNECT_TIMEOUT' ||
    code === '57P01'
  )
    return 503;
  return 500;
}

/** One error handler: AppErrors keep their code and hint; database outages answer 503; the rest 500 without internals. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error, _request, reply) => {
    const status = statusOf(error);
    if (error instanceof AppError) {
      return reply.code(status).send({ error: error.toJSON() });
    }
    if (status === 500) logger.error({ err: error }, 'request failed');
    const message =
      status === 503
        ? 'The database is unavailable; nothing was stored. Retry shortly.'
        : status === 500
          ? 'Internal error.'
          : (error as Error).message;
    return reply
      .code(status)
      .send({ error: { code: status === 503 ? 'E_UNAVAILABLE' : `E_HTTP_${status}`, message } });
  });
}
