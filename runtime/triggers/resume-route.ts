import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { audit, needs, principalOf } from '../../access/index.ts';
import type { Sql } from '../../db/index.ts';
import { parseRequest } from '../api/http-errors.ts';
import { issueResumeToken, type ResumeResult, resumeWait } from '../engine/resume-wait.ts';
import { assertRunVisible } from '../store/object-access.ts';
import { WEBHOOK_BODY_LIMIT } from './webhook.ts';
import { HookBodyError, parseHookJson } from './webhook-json.ts';

/** Tokens are 43 base64url characters (core.wait mints 32 bytes); anything else is no token → 404. */
const ResumeParams = z.object({ token: z.string().regex(/^[A-Za-z0-9_-]{43}$/) });

/**
 * POST /resume/:token: a core.wait step's one-time resume URL. The token is the credential (no principal). 202
 * { runId } once the step is queued with the JSON body as its output; 404 for no such token; 410 when it was
 * already used, timed out, or its run ended. Bodies: JSON (or empty = null), at most WEBHOOK_BODY_LIMIT.
 */
const StepParams = z.object({ id: z.string().min(1).max(200), nodeId: z.string().min(1).max(200) });
const StepQuery = z.object({ path: z.string().max(2000).default('') });

export function registerResumeRoute(app: FastifyInstance, options: { sql: Sql; publicUrl: string }): void {
  // The URL to hand over: minted on request for someone who may operate the run (the previous one stops working).
  app.post('/api/runs/:id/steps/:nodeId/resume-url', needs('run.operate'), async (request, reply) => {
    const principal = principalOf(request);
    const { id, nodeId } = parseRequest(StepParams, request.params, 'path');
    const { path } = parseRequest(StepQuery, request.query, 'query');
    await assertRunVisible(options.sql, principal, id);
    const issued = await issueResumeToken(options.sql, { runId: id, nodeId, path });
    if (!issued) {
      return reply.code(409).send({
        error: {
          code: 'E_NOT_WAITING',
          message: `Step "${nodeId}" of run ${id} is not a core.wait step waiting for a call.`,
          hint: 'Ask once the run view (GET /api/runs/:id) shows the step as waiting.',
        },
      });
    }
    await audit(options.sql, {
      principal,
      action: 'wait.resume_url_issued',
      subjectType: 'run',
      subjectId: id,
      details: { nodeId, path },
    });
    const resumePath = `/resume/${issued.token}`;
    return reply.code(201).send({
      resumeUrl: `${options.publicUrl.replace(/\/$/, '')}${resumePath}`,
      resumePath,
      expiresAt: issued.expiresAt?.toISOString() ?? null,
    });
  });

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
        try {
          body = parseHookJson(raw);
        } catch (error) {
          return reply.code(400).send({
            error: {
              code: 'E_BAD_JSON',
              message: error instanceof HookBodyError ? error.message : 'The body is not valid JSON.',
              hint: 'Send a JSON body with content-type application/json.',
            },
          });
        }
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
