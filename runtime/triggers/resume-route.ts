import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Sql } from '../../db/index.ts';
import { type ResumeResult, resumeWait } from '../engine/resume-wait.ts';
import { WEBHOOK_BODY_LIMIT } from './webhook.ts';
import { readHookJson } from './webhook-json.ts';

/** Tokens are 43 base64url characters (core.wait mints 32 bytes); anything else is no token → 404. */
const ResumeParams = z.object({ token: z.string().regex(/^[A-Za-z0-9_-]{43}$/) });

/**
 * POST /resume/:token: a core.wait step's one-time resume URL. The token is the credential (no principal). 202
 * { runId } once the step is queued with the JSON body as its output; 404 for no such token; 410 when it was
 * already used, timed out, or its run ended. Bodies: JSON (or empty = null), at most WEBHOOK_BODY_LIMIT.
 */
export function registerResumeRoute(app: FastifyInstance, options: { sql: Sql }): void {
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT },
      (_request, body, done) => done(null, body),
    );
    scope.post('/resume/:token', { bodyLimit: WEBHOOK_BODY_LIMIT }, async (request, reply) => {
      const params = ResumeParams.safeParse(request.params);
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const contentType = String(request.headers['content-type'] ?? '');
      if (raw.length > 0 && contentType !== '' && !/json/i.test(contentType)) {
        return reply.code(415).send({
          error: {
            code: 'E_UNSUPPORTED_MEDIA_TYPE',
            message: `A resume call takes a JSON body, not "${contentType.slice(0, 80)}".`,
            hint: 'Send Content-Type: application/json, or no body.',
          },
        });
      }
      let body: unknown = null;
      if (raw.length > 0) {
        const parsed = readHookJson(raw);
        if ('bad' in parsed) return reply.code(400).send({ error: parsed.bad });
        body = parsed.value;
      }
      const result: ResumeResult = params.success
        ? await resumeWait(options.sql, params.data.token, body)
        : { kind: 'unknown' };
      if (result.kind === 'resumed') return reply.code(202).send({ runId: result.runId });
      if (result.kind === 'gone') {
        return reply.code(410).send({
          error: {
            code: 'E_GONE',
            message: 'This resume URL was already used, timed out, or its run is no longer waiting.',
            hint: 'A resume URL works once; the run view (GET /api/runs/:id) shows the step as it is now.',
          },
        });
      }
      return reply.code(404).send({
        error: {
          code: 'E_NOT_FOUND',
          message: 'No waiting step has this resume URL.',
          hint: 'Ask for a URL with POST /api/runs/:id/steps/:nodeId/resume-url and use it exactly as given; a newer one replaces it.',
        },
      });
    });
  });
}
