import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ConnectorDefinition } from '../../connectors/index.ts';
import type { Sql } from '../../db/index.ts';
import {
  AppError,
  bindInboundSpan,
  inboundSpanOf,
  startInboundSpan,
  withRequestTrace,
} from '../../lib/index.ts';
import { InactiveWorkflowError, startRun } from '../engine/engine.ts';
import { fileStoreOf } from '../engine/node-runner.ts';
import type { FileStore } from '../files/index.ts';
import { getCachedWorkflow } from '../store/workflow-cache.ts';
import { acceptHandshake } from './handshake.ts';
import { answerHookChallenge, firstValues } from './hook-challenge.ts';
import { type HookRequest, hookReceiverFor } from './hook-receiver.ts';
import { BAD_MULTIPART, isMultipart, parseMultipart, requestTooLarge } from './multipart-body.ts';
import { RESPONSE_CSP, sendRunResponse, waitForResponse } from './run-response.ts';
import { startRunWithUploads, uploadsByField } from './upload-run.ts';
import { acceptSpooledUploads, isSpool, isUploadTooLarge, VERIFIED_BODY_MAX_BYTES } from './upload-spool.ts';
import { hookText, readHookJson } from './webhook-json.ts';
import { recheckWithRotation } from './webhook-secrets.ts';
import { checkHookSignature } from './webhook-verify.ts';

/** Largest webhook body accepted; larger → 413. */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024;
/** Workflow ids are printable ASCII; anything else (a decoded NUL, a newline) is no workflow → 404. */
const HookParams = z.object({
  workflowId: z.string().regex(/^[\x21-\x7e]{1,200}$/),
  token: z.string().max(500).optional(),
});

export type WebhookOptions = {
  sql: Sql;
  /** Where connector webhook triggers (e.g. github.issueOpened) are looked up. */
  connectors: readonly ConnectorDefinition[];
  respondTimeoutMs?: number;
  /** The server's public base URL: what senders that sign the URL (verify "twilio") addressed. */
  publicUrl?: string;
  /** Where the files of multipart deliveries are stored (with the run they start); default: Postgres. */
  files?: FileStore;
};

/** The per-workflow secret in `x-vmesh-secret`, or an `x-vmesh-signature` (see checkHookSignature for the forms). */
export function verifyHook(secret: string, headers: Record<string, unknown>, rawBody: Buffer): boolean {
  return checkHookSignature([secret], headers, rawBody).ok;
}

/**
 * POST /hooks/:workflowId: the workflow's trigger verifies the delivery (401 when it fails) and turns it into trigger
 * data; 202 { runId } once the run and its first jobs are committed, or the core.respond result; 200 { ignored }
 * for a delivery the trigger does not start on (an event it does not listen to, or one its filters leave out).
 */
export function registerWebhookRoute(app: FastifyInstance, options: WebhookOptions): void {
  const { sql } = options;
  const files = fileStoreOf({ sql, files: options.files });
  const uploadLimit = files.limits.maxUploadBytes;
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    // The routes set no bodyLimit, so each parser's own applies: 1 MiB, multipart up to VMESH_UPLOAD_MAX_BYTES.
    scope.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT },
      (_request, body, done) => done(null, body),
    );
    // Written to a temporary folder as it arrives, never held whole in memory (see upload-spool.ts).
    acceptSpooledUploads(scope, uploadLimit);
    scope.setErrorHandler((error, request, reply) => {
      if (!isUploadTooLarge(error, request.headers['content-type'])) throw error;
      const refusal = requestTooLarge(uploadLimit);
      return reply
        .code(413)
        .header('connection', 'close')
        .send({
          error: {
            code: refusal.code,
            message: refusal.message,
            hint: refusal.hint,
            details: refusal.details,
          },
        });
    });
    // A hook answer is served from the web chat's origin: it never runs as a page there, whatever it says it is.
    scope.addHook('onSend', async (_request, reply) => {
      reply.header('x-content-type-options', 'nosniff');
      reply.header('content-security-policy', RESPONSE_CSP);
    });
    // A delivery's W3C traceparent is its run's parent; with tracing on the delivery is a span of its own.
    scope.addHook('onRequest', async (request) => {
      const route = request.routeOptions.url;
      if (request.method !== 'POST' || route === undefined) return;
      bindInboundSpan(
        request,
        startInboundSpan({ method: request.method, route, traceparent: request.headers.traceparent }),
      );
    });
    const endSpan = async (request: FastifyRequest, reply: FastifyReply) => {
      inboundSpanOf(request)?.end(reply.statusCode);
    };
    scope.addHook('onResponse', endSpan);
    scope.addHook('onRequestAbort', async (request) => inboundSpanOf(request)?.end(499));
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const params = HookParams.safeParse(request.params);
      const workflowId = params.success ? params.data.workflowId : '';
      const pathToken = params.success ? params.data.token : undefined;
      const spool = isSpool(request.body) ? request.body : undefined;
      // A signature is computed over the raw bytes: they are read into memory for it, up to VERIFIED_BODY_MAX_BYTES.
      const raw = Buffer.isBuffer(request.body)
        ? request.body
        : spool && spool.size <= VERIFIED_BODY_MAX_BYTES
          ? await spool.read()
          : Buffer.alloc(0);
      let cached = params.success ? await getCachedWorkflow(sql, workflowId) : undefined;
      if (cached && !cached.row.active) cached = await getCachedWorkflow(sql, workflowId, { fresh: true });
      const workflow = cached?.row;
      const receiver = cached ? hookReceiverFor(options.connectors, cached.document.trigger) : undefined;
      if (!cached || !workflow || !receiver || (pathToken !== undefined && !receiver.takesPathToken)) {
        return reply.code(404).send({
          error: {
            code: 'E_NOT_FOUND',
            message: `No workflow "${workflowId || '(not a workflow id)'}" takes webhooks here.`,
            hint: 'Check the hook URL shown by GET /api/workflows/:id.',
          },
        });
      }
      const hook: HookRequest = {
        method: request.method,
        headers: request.headers,
        query: request.query,
        rawBody: raw,
        body: null,
        pathToken,
        url: options.publicUrl ? `${options.publicUrl.replace(/\/$/, '')}${request.url}` : undefined,
      };
      const handshake = receiver.handshake?.(hook);
      if (handshake) {
        if (!(await acceptHandshake(sql, workflowId, handshake.secret))) {
          return reply.code(401).send({
            error: {
              code: 'E_UNAUTHORIZED',
              message: `Workflow "${workflowId}" expects no webhook handshake now.`,
              hint: 'A handshake is taken only while the workflow registers its webhook (on activation); deactivate and activate it to register again.',
            },
          });
        }
        for (const [name, value] of Object.entries(handshake.responseHeaders)) reply.header(name, value);
        return reply.code(200).send();
      }
      const check = (secrets: readonly string[]) => receiver.verify(secrets, hook);
      let verdict = check([workflow.hookSecret]);
      if (!verdict.ok) verdict = await recheckWithRotation(sql, workflowId, verdict, check);
      if (!verdict.ok) {
        const unread = spool !== undefined && spool.size > VERIFIED_BODY_MAX_BYTES;
        return reply.code(401).send({
          error: {
            code: verdict.code,
            message: verdict.message,
            hint: unread
              ? `Uploads over ${VERIFIED_BODY_MAX_BYTES} bytes are not read for a signature over the body: send the hook secret in x-vmesh-secret (or as the URL's last segment with verify "token"), or upload less per request.`
              : verdict.hint,
          },
        });
      }
      if (!workflow.active) {
        return reply.code(409).send({
          error: {
            code: 'E_INACTIVE',
            message: `Workflow "${workflowId}" is not active.`,
            hint: 'Activate it first (POST /api/workflows/:id/activate).',
          },
        });
      }
      const contentType = String(request.headers['content-type'] ?? '');
      let body: unknown = null;
      let upload: Parameters<typeof startRunWithUploads>[2]['files'] = [];
      const takesFiles = cached.document.trigger.type === 'webhook' && isMultipart(contentType);
      if (!takesFiles && (spool?.size ?? raw.length) > WEBHOOK_BODY_LIMIT) {
        return reply.code(413).send({
          error: {
            code: 'E_HTTP_413',
            message: `The body is larger than ${WEBHOOK_BODY_LIMIT} bytes.`,
            hint: 'Only the core webhook trigger takes multipart uploads above 1 MiB.',
          },
        });
      }
      if (takesFiles) {
        if (!spool) return reply.code(400).send({ error: BAD_MULTIPART });
        const parsed = await parseMultipart(spool.stream(), contentType, {
          maxFileBytes: files.limits.maxFileBytes,
          maxRequestBytes: uploadLimit,
          size: spool.size,
          dir: spool.dir,
        });
        if (!parsed.ok) {
          const { status, ...error } = parsed.error;
          return reply.code(status).send({ error });
        }
        upload = parsed.value.files;
        // Filled with the stored files' references once the run exists (startRunWithUploads).
        body = { fields: parsed.value.fields, files: {} };
      } else if (raw.length > 0) {
        if (contentType === '' || contentType.includes('json')) {
          const parsed = readHookJson(raw);
          if ('bad' in parsed) return reply.code(400).send({ error: parsed.bad });
          body = parsed.value;
        } else {
          body = hookText(raw);
        }
      }
      const accepted = receiver.accept({ ...hook, body }, cached.document);
      const fixed = receiver.reply;
      if (!accepted.start) {
        if (fixed) return reply.code(200).type(fixed.contentType).send(fixed.body);
        return reply.code(200).send({ ignored: accepted.reason });
      }
      let runId: string;
      const dedupeKey = accepted.deliveryId ? `delivery:${accepted.deliveryId}` : undefined;
      try {
        // The run joins the request's trace (its traceparent, or the webhook's span when tracing is on).
        ({ runId } = await withRequestTrace(request, () =>
          upload.length === 0
            ? startRun(sql, workflowId, accepted.data, {
                triggerType: accepted.triggerType,
                dedupeKey,
                requireActive: true,
              })
            : startRunWithUploads(sql, files, {
                workflowId,
                triggerType: accepted.triggerType,
                dedupeKey,
                files: upload,
                data(stored) {
                  if (body !== null && typeof body === 'object' && 'files' in body)
                    body.files = uploadsByField(stored);
                  return accepted.data;
                },
              }),
        ));
      } catch (error) {
        if (error instanceof AppError && error.code === 'E_FILE_TOO_LARGE') {
          return reply.code(413).send({
            error: { code: error.code, message: error.message, hint: error.hint, details: error.details },
          });
        }
        if (!(error instanceof InactiveWorkflowError)) throw error;
        return reply.code(409).send({
          error: { code: error.code, message: error.message, hint: error.hint },
        });
      }
      const started = () =>
        fixed
          ? reply.code(200).header('x-vmesh-run-id', runId).type(fixed.contentType).send(fixed.body)
          : reply.code(202).send({ runId });
      if (!cached.respond) return started();
      const response = await waitForResponse(sql, runId, options.respondTimeoutMs ?? 10_000);
      if (!response) return started();
      return sendRunResponse(reply, runId, response);
    };
    // Senders that check the URL before they deliver (Trello's HEAD when a webhook is created): 200 for a workflow
    // that takes webhooks, 404 otherwise; nothing is run and no secret is needed for it.
    scope.head('/hooks/:workflowId', async (request, reply) => {
      const params = HookParams.safeParse(request.params);
      const cached = params.success ? await getCachedWorkflow(sql, params.data.workflowId) : undefined;
      const takes = cached ? hookReceiverFor(options.connectors, cached.document.trigger) : undefined;
      return reply.code(cached && takes ? 200 : 404).send();
    });
    scope.post('/hooks/:workflowId', handler);
    // The sender's check that the URL is yours (Meta's hub.challenge), for connector triggers that declare one.
    scope.get('/hooks/:workflowId', async (request, reply) => {
      const params = HookParams.safeParse(request.params);
      const cached = params.success ? await getCachedWorkflow(sql, params.data.workflowId) : undefined;
      const answer = cached
        ? answerHookChallenge(
            options.connectors,
            cached.document.trigger,
            {
              query: firstValues(request.query),
              headers: request.headers,
            },
            [cached.row.hookSecret],
          )
        : undefined;
      if (answer === undefined || answer.status === 404) {
        return reply.code(404).send({
          error: {
            code: 'E_NOT_FOUND',
            message: "No workflow here answers a GET: this workflow's trigger takes deliveries by POST.",
            hint: 'Check the hook URL shown by GET /api/workflows/:id; only triggers whose sender checks the URL with a GET (whatsapp.message) answer one.',
          },
        });
      }
      if (answer.status === 403) {
        return reply.code(403).send({
          error: { code: 'E_UNAUTHORIZED', message: answer.message, hint: answer.hint },
        });
      }
      return reply.code(200).type('text/plain; charset=utf-8').send(answer.body);
    });
    // verify "token": the hook secret is the URL's last segment, for senders that can neither sign nor set headers.
    scope.post('/hooks/:workflowId/:token', handler);
  });
}
