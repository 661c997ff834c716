import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Sql } from '../../db/index.ts';
import { AppError } from '../../lib/index.ts';
import { InactiveWorkflowError, startRun } from '../engine/engine.ts';
import { fileStoreOf } from '../engine/node-runner.ts';
import type { FileStore } from '../files/index.ts';
import { type CachedWorkflow, getCachedWorkflow } from '../store/workflow-cache.ts';
import { FORM_TRIGGER, FormTriggerWith } from '../workflow/form-trigger-with.ts';
import { FORM_PAGE_CSP, FORM_TOKEN_FIELD, renderFormPage, renderMessagePage } from './form-page.ts';
import { type FieldProblem, parseFormFiles, parseFormSubmission } from './form-submission.ts';
import type { FormTokens } from './form-token.ts';
import {
  BAD_MULTIPART,
  isMultipart,
  type MultipartRefusal,
  parseMultipart,
  requestTooLarge,
  type UploadedFile,
} from './multipart-body.ts';
import { RESPONSE_CSP, sendRunResponse, waitForResponse } from './run-response.ts';
import { startRunWithUploads, uploadsByField } from './upload-run.ts';
import { acceptSpooledUploads, isSpool, isUploadTooLarge } from './upload-spool.ts';
import { readHookJson } from './webhook-json.ts';

/** Largest form submission accepted; larger → 413 (50 fields of at most 10,000 characters fit). */
export const FORM_BODY_LIMIT = 1024 * 1024;
export const FORM_ROUTE = '/forms/:workflowId';

const FormParams = z.object({ workflowId: z.string().regex(/^[\x21-\x7e]{1,200}$/) });
const JsonSubmission = z.object({
  formToken: z.string().max(200).optional(),
  fields: z.record(z.string(), z.unknown()),
});

export type FormRouteOptions = {
  sql: Sql;
  tokens: FormTokens;
  /** How long a submission waits for the run's core.respond answer before the thank-you page. */
  respondTimeoutMs?: number;
  /** Where the files of `file` fields are stored (with the run the submission starts); default: Postgres. */
  files?: FileStore;
};

type Client = 'html' | 'json';

const actionOf = (workflowId: string) => `/forms/${encodeURIComponent(workflowId)}`;
type ActiveForm = { cached: CachedWorkflow; form: FormTriggerWith };

/** The form of an active workflow whose trigger is `form`; anything else is no form (one 404 for all). */
async function activeForm(sql: Sql, workflowId: string): Promise<ActiveForm | undefined> {
  let cached = await getCachedWorkflow(sql, workflowId);
  if (cached && !cached.row.active) cached = await getCachedWorkflow(sql, workflowId, { fresh: true });
  if (!cached?.row.active || cached.document.trigger.type !== FORM_TRIGGER) return undefined;
  const form = FormTriggerWith.safeParse(cached.document.trigger.with ?? {});
  return form.success ? { cached, form: form.data } : undefined;
}

function html(reply: FastifyReply, status: number, page: string): FastifyReply {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('content-security-policy', FORM_PAGE_CSP)
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .send(page);
}

/** A refusal a person's browser sees as a page of the form (e.g. the server's rate limit), not as JSON. */
export function sendFormMessagePage(
  reply: FastifyReply,
  status: number,
  title: string,
  message: string,
): FastifyReply {
  return html(reply, status, renderMessagePage(title, message));
}

type Refusal = { status: number; code: string; title: string; message: string; hint: string };

function refuse(reply: FastifyReply, client: Client, refusal: Refusal): FastifyReply {
  if (client === 'json') {
    return reply.code(refusal.status).send({
      error: { code: refusal.code, message: refusal.message, hint: refusal.hint },
    });
  }
  return html(reply, refusal.status, renderMessagePage(refusal.title, refusal.message));
}

const NO_FORM: Refusal = {
  status: 404,
  code: 'E_NOT_FOUND',
  title: 'No form here',
  message: 'There is no form at this address. Check the link you were given.',
  hint: 'A form is served while its workflow (trigger type "form") is active; check the workflow id in the URL.',
};

/** The page that posted was this server's: a browser says where a form came from (Origin, else Referer). */
function crossSite(request: FastifyRequest): boolean {
  if (request.headers['sec-fetch-site'] === 'cross-site') return true;
  // A foreign Origin is refused before any route (reach guard); without one, a Referer must be this host.
  if (request.headers.origin !== undefined) return false;
  const referer = request.headers.referer;
  if (referer === undefined) return false;
  if (!URL.canParse(referer)) return true;
  return new URL(referer).host !== request.headers.host;
}

type Submission = {
  token: unknown;
  values: Record<string, unknown>;
  shown: Record<string, string>;
  files?: UploadedFile[];
};

/** A multipart body (the page of a form with file fields): the first value of each text name, and the files. */
function fromMultipart(fields: Record<string, string | string[]>, files: UploadedFile[]): Submission {
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields))
    values[name] = Array.isArray(value) ? (value[0] ?? '') : value;
  const { [FORM_TOKEN_FIELD]: token, ...rest } = values;
  return { token, values: rest, shown: rest, files };
}

function refusalOf(refusal: MultipartRefusal): Refusal {
  return {
    status: refusal.status,
    code: refusal.code,
    title: refusal.status === 413 ? 'Too large' : 'Not a form',
    message: refusal.message,
    hint: refusal.hint,
  };
}

/** A urlencoded body (what the page posts): the first value of each name, as text. */
function fromUrlEncoded(raw: Buffer): Submission {
  const params = new URLSearchParams(raw.toString('utf8'));
  const values: Record<string, string> = {};
  for (const [name, value] of params) if (!Object.hasOwn(values, name)) values[name] = value;
  const { [FORM_TOKEN_FIELD]: token, ...fields } = values;
  return { token, values: fields, shown: fields };
}

function fromJson(raw: Buffer): Submission | { bad: string } {
  const parsed = readHookJson(raw);
  if ('bad' in parsed) return { bad: parsed.bad.message };
  const body = JsonSubmission.safeParse(parsed.value);
  if (!body.success) return { bad: 'Send { "formToken": "…", "fields": { "<name>": value, … } }.' };
  return { token: body.data.formToken, values: body.data.fields, shown: {} };
}

/**
 * The hosted form of a workflow whose trigger is `form`, public to anyone with the link:
 * - GET /forms/:workflowId: the page (server-rendered HTML, no script, strict CSP) with a signed form token; a client
 *   asking for JSON gets `{ form, formToken }`;
 * - POST /forms/:workflowId: urlencoded (the page) or JSON `{ formToken, fields }`; the token must be this workflow's,
 *   unforged and at most an hour old (403 E_FORM_TOKEN), the fields must match the declaration (400 E_FORM_INVALID
 *   naming each field), then one run starts per token with `{ fields, submittedAt }`, answered with the thank-you
 *   page (JSON: 202 { runId }) or the run's core.respond result.
 * Unknown, inactive and non-form workflows are one 404. Rate limits: app/http-guards.ts.
 */
export function registerFormRoute(app: FastifyInstance, options: FormRouteOptions): void {
  const { sql, tokens } = options;
  const files = fileStoreOf({ sql, files: options.files });
  const uploadLimit = files.limits.maxUploadBytes;
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    // The route sets no bodyLimit, so each parser's own applies: 1 MiB, multipart up to VMESH_UPLOAD_MAX_BYTES.
    scope.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: FORM_BODY_LIMIT },
      (_request, body, done) => done(null, body),
    );
    // Written to a temporary folder as it arrives, never held whole in memory (see upload-spool.ts).
    acceptSpooledUploads(scope, uploadLimit);
    scope.setErrorHandler((error, request, reply) => {
      if (!isUploadTooLarge(error, request.headers['content-type'])) throw error;
      reply.header('connection', 'close');
      const client: Client = /json/i.test(String(request.headers.accept ?? '')) ? 'json' : 'html';
      return refuse(reply, client, refusalOf(requestTooLarge(uploadLimit)));
    });

    scope.get(FORM_ROUTE, async (request, reply) => {
      const accept = String(request.headers.accept ?? '');
      const client: Client = /json/i.test(accept) && !/html/i.test(accept) ? 'json' : 'html';
      const params = FormParams.safeParse(request.params);
      const found = params.success ? await activeForm(sql, params.data.workflowId) : undefined;
      if (!params.success || !found) return refuse(reply, client, NO_FORM);
      const token = tokens.issue(params.data.workflowId);
      if (client === 'json')
        return reply.header('cache-control', 'no-store').send({ form: found.form, formToken: token });
      // The page's own POST keeps its Origin (a "no-referrer" page would send Origin: null).
      reply.header('referrer-policy', 'same-origin');
      return html(
        reply,
        200,
        renderFormPage({ form: found.form, action: actionOf(params.data.workflowId), token }),
      );
    });

    scope.post(FORM_ROUTE, async (request, reply) => {
      const contentType = String(request.headers['content-type'] ?? '').toLowerCase();
      const multipart = isMultipart(contentType);
      const wantsJson = multipart && /json/i.test(String(request.headers.accept ?? ''));
      const client: Client = (contentType.includes('json') && !multipart) || wantsJson ? 'json' : 'html';
      const params = FormParams.safeParse(request.params);
      const found = params.success ? await activeForm(sql, params.data.workflowId) : undefined;
      if (!params.success || !found) return refuse(reply, client, NO_FORM);
      const workflowId = params.data.workflowId;
      if (crossSite(request)) {
        return refuse(reply, client, {
          status: 403,
          code: 'E_FORBIDDEN_ORIGIN',
          title: 'Not sent from this form',
          message: 'This form was sent from another site. Open the form itself and send it from there.',
          hint: "Submit the form from its own page (GET /forms/:workflowId), not from another site's page.",
        });
      }
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      let submission: Submission;
      if (contentType.startsWith('application/x-www-form-urlencoded')) {
        submission = fromUrlEncoded(raw);
      } else if (multipart) {
        const spool = isSpool(request.body) ? request.body : undefined;
        if (!spool) return refuse(reply, client, refusalOf(BAD_MULTIPART));
        const parsed = await parseMultipart(spool.stream(), String(request.headers['content-type']), {
          maxFileBytes: files.limits.maxFileBytes,
          maxRequestBytes: uploadLimit,
          size: spool.size,
          dir: spool.dir,
        });
        if (!parsed.ok) return refuse(reply, client, refusalOf(parsed.error));
        submission = fromMultipart(parsed.value.fields, parsed.value.files);
      } else if (client === 'json') {
        const parsed = fromJson(raw);
        if ('bad' in parsed) {
          return refuse(reply, client, {
            status: 400,
            code: 'E_BAD_REQUEST',
            title: 'Not a form',
            message: parsed.bad,
            hint: 'Send { "formToken": "…", "fields": { … } } with the token from GET /forms/:workflowId.',
          });
        }
        submission = parsed;
      } else {
        return refuse(reply, client, {
          status: 415,
          code: 'E_UNSUPPORTED_MEDIA_TYPE',
          title: 'Not a form',
          message: `A form takes application/x-www-form-urlencoded, multipart/form-data or JSON, not "${contentType.slice(0, 80) || 'no content type'}".`,
          hint: 'Post the page as it is (multipart/form-data when it has file fields), or send JSON { formToken, fields }.',
        });
      }
      const again = (status: number, problems: readonly FieldProblem[], notice?: string) =>
        html(
          reply,
          status,
          renderFormPage({
            form: found.form,
            action: actionOf(workflowId),
            notice,
            token: tokens.issue(workflowId),
            values: submission.shown,
            problems,
          }),
        );
      const token = tokens.check(workflowId, submission.token);
      if (!token.ok) {
        const expired = token.reason === 'expired';
        // An expired page is sent again with what was typed, under a fresh token: nothing is lost.
        if (client === 'html' && expired)
          return again(
            403,
            [],
            'This page was open for more than an hour. Check your answers and send it again.',
          );
        return refuse(reply, client, {
          status: 403,
          code: 'E_FORM_TOKEN',
          title: 'Open the form again',
          message: expired
            ? 'This form page has expired (after an hour). Open the form again and send it.'
            : 'This submission did not come from the form page. Open the form and send it from there.',
          hint: `Send the ${FORM_TOKEN_FIELD} value (JSON: formToken) of a page served by GET /forms/:workflowId within the last hour.`,
        });
      }
      const fields = parseFormSubmission(found.form.fields, submission.values);
      const attached = parseFormFiles(found.form.fields, submission.files ?? []);
      if (!fields.ok || !attached.ok) {
        const problems = [...(fields.ok ? [] : fields.error), ...(attached.ok ? [] : attached.error)];
        if (client === 'html') return again(400, problems);
        return reply.code(400).send({
          error: {
            code: 'E_FORM_INVALID',
            message: `The form was not sent: ${problems.map((problem) => problem.message).join(' ')}`,
            hint: 'Fix the named fields and send the form again.',
            fields: problems,
          },
        });
      }
      const submittedAt = new Date().toISOString();
      const fileFields = found.form.fields.filter((field) => field.type === 'file');
      const toStore = [...attached.value.values()].flat();
      let runId: string;
      try {
        if (toStore.length === 0) {
          const empty = Object.fromEntries(
            fileFields.map((field) => [field.name, field.multiple ? [] : null]),
          );
          ({ runId } = await startRun(
            sql,
            workflowId,
            { fields: { ...fields.value, ...empty }, submittedAt },
            { triggerType: FORM_TRIGGER, dedupeKey: `form:${token.submissionId}`, requireActive: true },
          ));
        } else {
          ({ runId } = await startRunWithUploads(sql, files, {
            workflowId,
            triggerType: FORM_TRIGGER,
            dedupeKey: `form:${token.submissionId}`,
            files: toStore,
            data(stored) {
              const refs = uploadsByField(stored);
              const byField = Object.fromEntries(
                fileFields.map((field) => {
                  const ref = refs[field.name];
                  const list = ref === undefined ? [] : Array.isArray(ref) ? ref : [ref];
                  return [field.name, field.multiple ? list : (list[0] ?? null)];
                }),
              );
              return { fields: { ...fields.value, ...byField }, submittedAt };
            },
          }));
        }
      } catch (error) {
        if (error instanceof AppError && error.code === 'E_FILE_TOO_LARGE') {
          return refuse(reply, client, {
            status: 413,
            code: error.code,
            title: 'Too large',
            message: error.message,
            hint: error.hint ?? '',
          });
        }
        if (!(error instanceof InactiveWorkflowError)) throw error;
        return refuse(reply, client, NO_FORM);
      }
      if (found.cached.respond) {
        const response = await waitForResponse(sql, runId, options.respondTimeoutMs ?? 10_000);
        if (response) {
          reply.header('x-content-type-options', 'nosniff').header('content-security-policy', RESPONSE_CSP);
          return sendRunResponse(reply, runId, response);
        }
      }
      if (client === 'json') return reply.code(202).send({ runId });
      return html(
        reply,
        200,
        renderMessagePage('Thank you', found.form.thankYou ?? 'Your answers were sent.'),
      );
    });
  });
}
