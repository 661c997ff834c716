import { readFile } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type ConversationEvent, type HistoryEntry, SETTLED_RUN } from '../../agent/index.ts';
import { logger } from '../../lib/index.ts';
import { RunListQuery } from '../../runtime/index.ts';
import { agentFailureReply } from '../agent-failure-reply.ts';
import type { BotActor, ConversationPort } from '../conversation-port.ts';
import type { WorkflowPort } from '../workflow-port.ts';
import { DEFAULT_DIST_DIR, ensureWebBundle } from './build-web-bundle.ts';
import { renderIndexHtml } from './index-html.ts';

export type WebChatDeps = {
  conversation: ConversationPort;
  workflows?: WorkflowPort | undefined;
  distDir?: string | undefined;
  /** How often run pages poll for step changes when no push source exists (ms). */
  runPollMs?: number | undefined;
  /** How often the conversation stream looks for new messages (ms). */
  chatPollMs?: number | undefined;
};

const MessageBody = z.strictObject({
  threadKey: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'threadKey is 8–64 letters, digits, _ or -'),
  text: z.string().trim().min(1, 'say something').max(20_000, 'a message is at most 20,000 characters'),
});
const DecisionBody = z.strictObject({
  proposalId: z.string().min(1).max(200),
  decision: z.enum(['approve', 'reject']),
  /** For a fix: resume the failed run from its failed step (default) or re-run it on the new version. */
  resume: z.enum(['from-failed-step', 'rerun']).optional(),
});
const IdParams = z.object({ id: z.string().min(1).max(200) });
const ThreadQuery = z.object({ threadKey: MessageBody.shape.threadKey });
const StreamQuery = ThreadQuery.extend({ after: z.coerce.number().int().min(0).optional() });
/** EventSource sends the last `id:` it saw when it reconnects. */
const LastEventId = z.coerce.number().int().min(0).optional().catch(undefined);
const ASSET_PATH = /^(chunks\/)?[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.(js|css)$/;
/** The person behind a web chat request: request.principal (app/authenticate.ts), never the body. */
function webActor(request: FastifyRequest): BotActor {
  const principal = request.principal;
  return principal
    ? { platform: 'web', id: principal.identity, displayName: principal.name, principal }
    : { platform: 'web', id: 'web:anonymous' };
}

function openEventStream(reply: FastifyReply): (event: string, data: unknown, id?: number) => void {
  reply.hijack();
  reply.raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
    connection: 'keep-alive',
  });
  return (event, data, id) => {
    if (reply.raw.writableEnded) return;
    reply.raw.write(
      `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`,
    );
  };
}

const notYours = (reply: FastifyReply) =>
  reply.code(403).send({
    error: 'E_FORBIDDEN',
    message: 'This conversation belongs to someone else.',
    hint: 'Start a new conversation (reload the page after clearing this site’s storage).',
  });

/**
 * The conversation's history (restored on load), its live stream (self-healing fixes, others' decisions, run
 * updates), a proposal's card details and "keep both". Only the conversation's participants read it.
 */
function registerConversationRoutes(api: FastifyInstance, deps: WebChatDeps, streams: Set<() => void>) {
  const port = deps.conversation;
  api.get('/conversation', async (request, reply) => {
    const query = ThreadQuery.safeParse(request.query);
    if (!query.success)
      return reply.code(400).send({ error: 'E_BAD_REQUEST', message: z.prettifyError(query.error) });
    const history = await port.history?.(`web:${query.data.threadKey}`, webActor(request));
    if (!history) return notYours(reply);
    return history;
  });

  /**
   * New entries after `after` (or the Last-Event-ID a reconnecting EventSource sends), each with its message id
   * as the event id; the person's own turns are left out (the page that sent them showed them already).
   */
  api.get('/conversation/events', async (request, reply) => {
    const query = StreamQuery.safeParse(request.query);
    if (!query.success)
      return reply.code(400).send({ error: 'E_BAD_REQUEST', message: z.prettifyError(query.error) });
    const actor = webActor(request);
    const threadKey = `web:${query.data.threadKey}`;
    let cursor = LastEventId.parse(request.headers['last-event-id']) ?? query.data.after ?? 0;
    const first = await port.history?.(threadKey, actor, { afterId: cursor });
    if (!first) return notYours(reply);
    const mine = await port.actorLabelOf?.(actor);
    const send = openEventStream(reply);
    let closed = false;
    let wake: (() => void) | undefined;
    const close = () => {
      closed = true;
      wake?.();
    };
    streams.add(close);
    request.raw.on('close', close);
    let batch: { entries: HistoryEntry[]; cursor: number } | undefined = first;
    let quiet = 0;
    const pollMs = deps.chatPollMs ?? 500;
    while (!closed && batch) {
      const shown = batch.entries.filter((entry) => entry.actor === null || entry.actor !== mine);
      for (const entry of shown) send('entry', entry, entry.id);
      if (batch.cursor > cursor && (shown.at(-1)?.id ?? 0) < batch.cursor)
        send('cursor', { cursor: batch.cursor }, batch.cursor);
      cursor = batch.cursor;
      quiet = shown.length > 0 ? 0 : quiet + pollMs;
      // A comment now and then keeps proxies from closing an idle stream.
      if (quiet >= 15_000) {
        quiet = 0;
        if (!reply.raw.writableEnded) reply.raw.write(': keep-alive\n\n');
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, pollMs);
      });
      if (closed) break;
      batch = await port.history?.(threadKey, actor, { afterId: cursor });
    }
    streams.delete(close);
    if (!reply.raw.writableEnded) reply.raw.end();
  });

  api.get('/proposals/:id', async (request, reply) => {
    const { id } = IdParams.parse(request.params);
    const detail = await port.proposalDetail?.(id, webActor(request));
    if (!detail) return reply.code(404).send({ error: 'E_NOT_FOUND', message: `No proposal ${id}.` });
    return detail;
  });

  api.post('/proposals/:id/keep-both', async (request) => {
    const { id } = IdParams.parse(request.params);
    const replies = (await port.keepBoth?.(id, webActor(request))) ?? [];
    return { replies };
  });
}

/** The web chat: the page at `/`, its bundle under `/assets/`, and its JSON/SSE routes under `/chat/api/`. */
export async function registerWebChat(app: FastifyInstance, deps: WebChatDeps): Promise<void> {
  const distDir = deps.distDir ?? DEFAULT_DIST_DIR;
  // Open conversation streams end when the server closes (they would otherwise keep it waiting).
  const streams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const close of streams) close();
  });
  const bundle = await ensureWebBundle({ distDir });
  logger.debug({ built: bundle.built, ms: Math.round(bundle.ms) }, 'web bundle ready');
  // Workflows and runs as the signed-in person may see them (private ones: their owner and admins only).
  const portFor = (request: FastifyRequest) =>
    request.principal ? deps.workflows?.forViewer(request.principal) : undefined;

  // Every /chat/api route needs a person: the server's authentication sets request.principal from the shared
  // token, a per-user API token or the web session (the page signs in once); nobody without one, loopback too.
  const requireToken = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!request.principal) {
      return reply.code(401).send({
        error: 'E_UNAUTHORIZED',
        message:
          'Sign in on the web page (GET /auth/session says how), or send Authorization: Bearer <token>.',
      });
    }
  };
  const badRequest = (reply: FastifyReply, error: z.ZodError) =>
    reply.code(400).send({ error: 'E_BAD_REQUEST', message: z.prettifyError(error) });

  app.get('/', async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header(
        'content-security-policy',
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
      )
      .send(renderIndexHtml()),
  );

  app.get('/assets/*', async (request, reply) => {
    const path = (request.params as { '*': string })['*'];
    if (!ASSET_PATH.test(path)) return reply.code(404).send({ error: 'E_NOT_FOUND' });
    try {
      const body = await readFile(join(distDir, 'assets', normalize(path)));
      const type = path.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8';
      const cache = path.startsWith('chunks/') ? 'public, max-age=31536000, immutable' : 'no-cache';
      return reply.type(type).header('cache-control', cache).send(body);
    } catch {
      return reply.code(404).send({ error: 'E_NOT_FOUND' });
    }
  });

  app.register(
    async (api) => {
      api.addHook('onRequest', requireToken);

      api.post('/messages', async (request, reply) => {
        const body = MessageBody.safeParse(request.body);
        if (!body.success) return badRequest(reply, body.error);
        if (
          (await deps.conversation.threadAccess?.(`web:${body.data.threadKey}`, webActor(request))) ===
          'other'
        )
          return notYours(reply);
        const send = openEventStream(reply);
        const onEvent = (event: ConversationEvent) => {
          if (event.type === 'text_delta') send('delta', { text: event.text });
          else if (event.type === 'tool_start') send('tool', { name: event.name, status: 'started' });
          else if (event.type === 'tool_end')
            send('tool', { name: event.name, status: event.isError ? 'failed' : 'finished' });
        };
        try {
          const replies = await deps.conversation.handleMessage(
            { threadKey: `web:${body.data.threadKey}`, actor: webActor(request), text: body.data.text },
            onEvent,
          );
          for (const item of replies) send('reply', item);
          send('done', {});
        } catch (error) {
          logger.error({ err: error }, 'web chat turn failed');
          send('reply', agentFailureReply(error));
          send('done', {});
        }
        reply.raw.end();
      });

      // What waits for a decision (e.g. a self-healing fix proposed while nobody was chatting), shown on load.
      api.get('/proposals', async (request) => ({
        replies: (await deps.conversation.pendingProposals?.(webActor(request))) ?? [],
      }));

      api.post('/decisions', async (request, reply) => {
        const body = DecisionBody.safeParse(request.body);
        if (!body.success) return badRequest(reply, body.error);
        const replies = await deps.conversation.decide({ ...body.data, actor: webActor(request) });
        return { replies };
      });

      registerConversationRoutes(api, deps, streams);

      api.get('/workflows', async (request) => {
        const workflows = portFor(request);
        return { workflows: workflows ? await workflows.listWorkflows() : [] };
      });

      api.get('/workflows/:id', async (request, reply) => {
        const { id } = IdParams.parse(request.params);
        const workflow = await portFor(request)?.getWorkflow(id);
        if (!workflow) return reply.code(404).send({ error: 'E_NOT_FOUND', message: `No workflow ${id}.` });
        return { workflow };
      });

      // Runs across workflows: ?workflowId, ?status, ?from/?to (ISO date-times), ?limit, ?offset → { runs, nextOffset }.
      api.get('/runs', async (request, reply) => {
        const query = RunListQuery.safeParse(request.query);
        if (!query.success) return badRequest(reply, query.error);
        const workflows = portFor(request);
        return workflows ? await workflows.listRunPage(query.data) : { runs: [], nextOffset: null };
      });

      api.get('/runs/:id', async (request, reply) => {
        const { id } = IdParams.parse(request.params);
        const run = await portFor(request)?.getRun(id);
        if (!run) return reply.code(404).send({ error: 'E_NOT_FOUND', message: `No run ${id}.` });
        return { run };
      });

      /** Live run status: one `run` event per change, until the run ends or the page leaves. */
      api.get('/runs/:id/events', async (request, reply) => {
        const { id } = IdParams.parse(request.params);
        const workflows = portFor(request);
        const first = await workflows?.getRun(id);
        if (!workflows || !first)
          return reply.code(404).send({ error: 'E_NOT_FOUND', message: `No run ${id}.` });
        const send = openEventStream(reply);
        let last = JSON.stringify(first);
        send('run', first);
        let closed = false;
        request.raw.on('close', () => {
          closed = true;
        });
        const pollMs = deps.runPollMs ?? 500;
        while (!closed && !SETTLED_RUN.has(JSON.parse(last).status)) {
          await new Promise((resolve) => setTimeout(resolve, pollMs));
          const run = await workflows.getRun(id);
          if (!run) break;
          const text = JSON.stringify(run);
          if (text !== last) send('run', run);
          last = text;
        }
        send('end', {});
        reply.raw.end();
      });
    },
    { prefix: '/chat/api' },
  );
}
