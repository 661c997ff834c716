import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import {
  type GoogleFakeAuth,
  type GooglePrincipal,
  googleError,
  mountGoogleAuth,
  sharedFile,
} from '../google/fake-auth.ts';
import {
  FailureQueue,
  type InjectedFailure,
  listenLocal,
  type RecordedRequest,
  recordRequest,
  sendFailure,
} from '../testing/fake-server.ts';

type FakeDocument = { id: string; title: string; text: string; revision: number; readers: Set<string> };

export type DocsFake = {
  /** Give as env.baseUrls.googledocs (the v1 root). */
  url: string;
  /** Give as env.baseUrls['google-oauth']. */
  oauthUrl: string;
  auth: GoogleFakeAuth;
  requests: RecordedRequest[];
  /** A document whose body is `text` (Docs ends it with a newline), readable by the fake person and robot. */
  add(title: string, text: string, options?: { table?: string[][] }): string;
  text(documentId: string): string | undefined;
  /** Route keys: `documents.create`, `documents.get`, `documents.batchUpdate`. */
  fail(route: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

const WRITE_SCOPES = [
  'https://www.googleapis.com/auth/documents',
  'https://www.googleapis.com/auth/drive',
  'https://www.googleapis.com/auth/drive.file',
];
const READ_SCOPES = [...WRITE_SCOPES, 'https://www.googleapis.com/auth/documents.readonly'];

/**
 * A local Google Docs API v1 (https://developers.google.com/workspace/docs/api/reference/rest): documents.create,
 * documents.get (the body as paragraphs of text runs, with 1-based indexes, and tables), documents.batchUpdate with
 * insertText at an index or at endOfSegmentLocation; Google's error body and token endpoint.
 */
export async function startDocsFake(): Promise<DocsFake> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const requests: RecordedRequest[] = [];
  const failures = new FailureQueue();
  const documents = new Map<string, FakeDocument>();
  const tables = new Map<string, string[][]>();
  let base = '';
  const auth = mountGoogleAuth(app, () => base);

  const newDocument = (title: string, text: string, readers: string[]) => {
    const id = `1${randomBytes(30)
      .toString('base64url')
      .replace(/[^A-Za-z0-9]/g, 'x')
      .slice(0, 43)}`;
    documents.set(id, { id, title, text, revision: 1, readers: new Set(readers) });
    return id;
  };

  app.addHook('preHandler', async (request, reply) => {
    requests.push(recordRequest(request));
    if (!request.url.startsWith('/v1/')) return;
    const path = request.url.split('?')[0] ?? '';
    const route =
      path === '/v1/documents'
        ? 'documents.create'
        : path.includes(':batchUpdate')
          ? 'documents.batchUpdate'
          : 'documents.get';
    const failure = failures.take(route);
    if (failure) return sendFailure(reply, failure);
  });

  const principalFor = (
    request: FastifyRequest,
    reply: FastifyReply,
    write: boolean,
  ): GooglePrincipal | undefined => {
    const principal = auth.principal(request, reply);
    if (!principal) return undefined;
    if ((write ? WRITE_SCOPES : READ_SCOPES).some((scope) => principal.scopes.has(scope))) return principal;
    void reply.code(403).send(
      googleError(403, 'PERMISSION_DENIED', 'Request had insufficient authentication scopes.', {
        reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
      }),
    );
    return undefined;
  };
  const find = (reply: FastifyReply, principal: GooglePrincipal, id: string) =>
    sharedFile(reply, documents.get(id), (document) => document.readers, principal);
  const revisionOf = (document: FakeDocument) => `ALm37B${document.revision}`;

  app.post('/v1/documents', async (request, reply) => {
    const principal = principalFor(request, reply, true);
    if (!principal) return reply;
    const title = String((request.body as { title?: unknown } | null)?.title ?? 'Untitled document');
    const id = newDocument(title, '', [principal.email]);
    const document = documents.get(id) as FakeDocument;
    return { documentId: id, title, revisionId: revisionOf(document), body: { content: [] } };
  });

  app.get<{ Params: { id: string } }>('/v1/documents/:id', async (request, reply) => {
    const principal = principalFor(request, reply, false);
    if (!principal) return reply;
    const document = find(reply, principal, request.params.id);
    if (!document) return reply;
    let index = 1;
    const content: unknown[] = [{ endIndex: 1, sectionBreak: { sectionStyle: {} } }];
    for (const line of `${document.text}\n`.split(/(?<=\n)/)) {
      if (line === '') continue;
      content.push({
        startIndex: index,
        endIndex: index + line.length,
        paragraph: {
          elements: [
            { startIndex: index, endIndex: index + line.length, textRun: { content: line, textStyle: {} } },
          ],
        },
      });
      index += line.length;
    }
    const table = tables.get(document.id);
    if (table) {
      content.push({
        startIndex: index,
        table: {
          rows: table.length,
          columns: table[0]?.length ?? 0,
          tableRows: table.map((row) => ({
            tableCells: row.map((cell) => ({
              content: [{ paragraph: { elements: [{ textRun: { content: `${cell}\n` } }] } }],
            })),
          })),
        },
      });
    }
    return {
      documentId: document.id,
      title: document.title,
      revisionId: revisionOf(document),
      body: { content },
    };
  });

  app.post<{ Params: { id: string } }>('/v1/documents/:id', async (request, reply) => {
    const [id, verb] = request.params.id.split(':');
    if (verb !== 'batchUpdate')
      return reply.code(404).send(googleError(404, 'NOT_FOUND', 'Method not found.'));
    const principal = principalFor(request, reply, true);
    if (!principal) return reply;
    const document = find(reply, principal, id ?? '');
    if (!document) return reply;
    const body = (request.body ?? {}) as {
      requests?: {
        insertText?: { text?: unknown; location?: { index?: number }; endOfSegmentLocation?: unknown };
      }[];
    };
    const replies: unknown[] = [];
    for (const change of body.requests ?? []) {
      const insert = change.insertText;
      if (!insert || typeof insert.text !== 'string' || insert.text === '') {
        return reply
          .code(400)
          .send(
            googleError(
              400,
              'INVALID_ARGUMENT',
              'Invalid requests[0]: only insertText with text is supported here.',
              { reason: 'badRequest' },
            ),
          );
      }
      if (insert.endOfSegmentLocation) document.text += insert.text;
      else {
        const at = (insert.location?.index ?? 1) - 1;
        if (at < 0 || at > document.text.length) {
          return reply
            .code(400)
            .send(
              googleError(
                400,
                'INVALID_ARGUMENT',
                'Invalid requests[0].insertText: Index must be less than the end index of the referenced segment.',
                { reason: 'badRequest' },
              ),
            );
        }
        document.text = document.text.slice(0, at) + insert.text + document.text.slice(at);
      }
      document.revision += 1;
      replies.push({});
    }
    return { documentId: document.id, replies, writeControl: { requiredRevisionId: revisionOf(document) } };
  });

  const origin = await listenLocal(app);
  base = origin;
  return {
    url: `${origin}/v1`,
    oauthUrl: origin,
    auth,
    requests,
    add(title, text, options = {}) {
      const id = newDocument(title, text, [auth.personEmail, auth.robotEmail]);
      if (options.table) tables.set(id, options.table);
      return id;
    },
    text: (id) => documents.get(id)?.text,
    fail: (route, failure) => failures.add(route, failure),
    close: () => app.close(),
  };
}
