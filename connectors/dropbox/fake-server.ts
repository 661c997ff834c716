import { createHash, randomBytes } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  FailureQueue,
  type InjectedFailure,
  listenLocal,
  type RecordedRequest,
} from '../testing/fake-server.ts';

// Dropbox API v2 as documented: RPC endpoints on api.dropboxapi.com (JSON bodies: /2/files/list_folder and
// /continue with a cursor, /2/users/get_current_account) and content endpoints on content.dropboxapi.com (the
// arguments as JSON in the Dropbox-API-Arg header, which must be ASCII; /2/files/upload, /2/files/download with
// the metadata in Dropbox-API-Result). Errors as Dropbox sends them: 409 `{ error_summary, error: { '.tag' } }`,
// 401 expired_access_token / invalid_access_token, 429 with Retry-After, 400 as plain text.

export type FakeDropboxFile = { id: string; path: string; body: Buffer; rev: string; serverModified: string };

export type DropboxFake = {
  /** Give as env.baseUrls.dropbox (api.dropboxapi.com) — the same server also answers the content endpoints. */
  url: string;
  /** Give as env.baseUrls['dropbox-content']. */
  contentUrl: string;
  token: string;
  requests: (RecordedRequest & { rawBody: Buffer })[];
  files(): FakeDropboxFile[];
  seed(path: string, body: string | Buffer): FakeDropboxFile;
  /** Entries per list_folder page at most. */
  pageSize: number;
  /** Every token stops working with this error (`expired_access_token` as after 4 hours). */
  expire(tag: 'expired_access_token' | 'invalid_access_token'): void;
  /** Accept another token (a renewed one) from now on. */
  accept(token: string): void;
  /** Route keys are the endpoint paths, e.g. `/2/files/upload`. */
  fail(route: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

export function dropboxError(summaryPath: string, error: Record<string, unknown>): Record<string, unknown> {
  return { error_summary: `${summaryPath}/..`, error };
}

const ASCII_ONLY = /^[\x20-\x7e]*$/;
const JsonObject = z.record(z.string(), z.unknown());

export async function startDropboxFake(): Promise<DropboxFake> {
  const files = new Map<string, FakeDropboxFile>();
  const requests: (RecordedRequest & { rawBody: Buffer })[] = [];
  const failures = new FailureQueue();
  const tokens = new Set([`sl.${randomBytes(24).toString('base64url')}`]);
  let expired: string | undefined;
  const app = Fastify({ logger: false, bodyLimit: 200 * 1024 * 1024 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  const fileMeta = (file: FakeDropboxFile) => ({
    '.tag': 'file',
    name: file.path.split('/').pop(),
    id: file.id,
    path_lower: file.path.toLowerCase(),
    path_display: file.path,
    client_modified: file.serverModified,
    server_modified: file.serverModified,
    rev: file.rev,
    size: file.body.length,
    is_downloadable: true,
    content_hash: createHash('sha256').update(file.body).digest('hex'),
  });
  const store = (path: string, body: Buffer): FakeDropboxFile => {
    const file: FakeDropboxFile = {
      id: `id:${randomBytes(8).toString('base64url')}`,
      path,
      body,
      rev: randomBytes(8).toString('hex'),
      serverModified: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    files.set(path.toLowerCase(), file);
    return file;
  };

  const fake: DropboxFake = {
    url: '',
    contentUrl: '',
    token: [...tokens][0] ?? '',
    requests,
    pageSize: 2000,
    files: () => [...files.values()],
    seed: (path, body) => store(path, Buffer.isBuffer(body) ? body : Buffer.from(body)),
    expire(tag) {
      expired = tag;
      tokens.clear();
    },
    accept(token) {
      expired = undefined;
      tokens.add(token);
    },
    fail: (route, failure) => failures.add(route, failure),
    close: () => app.close(),
  };

  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const path = request.url.split('?')[0] ?? request.url;
    requests.push({
      method: request.method,
      path,
      query: {},
      headers: request.headers,
      body: rawBody.toString(),
      rawBody,
    });
    const token = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
    if (!token || !tokens.has(token)) {
      const tag = token && expired ? expired : 'invalid_access_token';
      return reply.code(401).send(dropboxError(`${tag}/`, { '.tag': tag }));
    }
    const failure = failures.take(path);
    if (failure) {
      reply.code(failure.status);
      for (const [name, value] of Object.entries(failure.headers ?? {})) reply.header(name, value);
      return reply.send(failure.body);
    }
    return undefined;
  });

  /** The Dropbox-API-Arg header, parsed; a non-ASCII header is a 400 as Dropbox answers it. */
  const apiArg = (request: FastifyRequest, reply: FastifyReply): Record<string, unknown> | undefined => {
    const header = String(request.headers['dropbox-api-arg'] ?? '');
    if (!ASCII_ONLY.test(header)) {
      reply
        .code(400)
        .type('text/plain')
        .send(
          'Error in call to API function "files/upload": HTTP header "Dropbox-API-Arg": could not decode input as JSON',
        );
      return undefined;
    }
    try {
      return JsonObject.parse(JSON.parse(header));
    } catch {
      reply
        .code(400)
        .type('text/plain')
        .send('Error in call to API function: HTTP header "Dropbox-API-Arg": could not decode input as JSON');
      return undefined;
    }
  };
  const jsonBody = (request: FastifyRequest): Record<string, unknown> => {
    try {
      const parsed: unknown = JSON.parse(Buffer.isBuffer(request.body) ? request.body.toString() : 'null');
      return JsonObject.safeParse(parsed).data ?? {};
    } catch {
      return {};
    }
  };

  app.post('/2/files/upload', async (request, reply) => {
    const arg = apiArg(request, reply);
    if (!arg) return reply;
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    let path = String(arg.path ?? '');
    if (files.has(path.toLowerCase()) && arg.mode !== 'overwrite') {
      if (!arg.autorename) {
        return reply.code(409).send(
          dropboxError('path/conflict/file/', {
            '.tag': 'path',
            reason: { '.tag': 'conflict', conflict: { '.tag': 'file' } },
          }),
        );
      }
      path = path.replace(/(\.[^./]*)?$/, (ext) => ` (1)${ext}`);
    }
    return reply.send(fileMeta(store(path, body)));
  });

  app.post('/2/files/download', async (request, reply) => {
    const arg = apiArg(request, reply);
    if (!arg) return reply;
    const wanted = String(arg.path ?? '');
    const file = wanted.startsWith('id:')
      ? [...files.values()].find((candidate) => candidate.id === wanted)
      : files.get(wanted.toLowerCase());
    if (!file) {
      return reply
        .code(409)
        .send(dropboxError('path/not_found/', { '.tag': 'path', path: { '.tag': 'not_found' } }));
    }
    return reply
      .header('content-type', 'application/octet-stream')
      .header(
        'dropbox-api-result',
        JSON.stringify(fileMeta(file)).replace(
          /[\u007f-\uffff]/g,
          (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
        ),
      )
      .send(file.body);
  });

  const cursors = new Map<string, { entries: Record<string, unknown>[]; offset: number }>();
  const page = (listing: { entries: Record<string, unknown>[]; offset: number }) => {
    const entries = listing.entries.slice(listing.offset, listing.offset + fake.pageSize);
    const next = { entries: listing.entries, offset: listing.offset + entries.length };
    const cursor = `AAH${randomBytes(12).toString('base64url')}`;
    cursors.set(cursor, next);
    return { entries, cursor, has_more: next.offset < listing.entries.length };
  };

  app.post('/2/files/list_folder', async (request, reply) => {
    const body = jsonBody(request);
    const folder = String(body.path ?? '').toLowerCase();
    if (folder !== '' && ![...files.keys()].some((key) => key.startsWith(`${folder}/`))) {
      return reply
        .code(409)
        .send(dropboxError('path/not_found/', { '.tag': 'path', path: { '.tag': 'not_found' } }));
    }
    const children = new Map<string, Record<string, unknown>>();
    for (const file of files.values()) {
      const lower = file.path.toLowerCase();
      if (!lower.startsWith(`${folder}/`)) continue;
      const rest = file.path.slice(folder.length + 1);
      const slash = rest.indexOf('/');
      if (slash >= 0 && body.recursive !== true) {
        const name = rest.slice(0, slash);
        const path = `${file.path.slice(0, folder.length)}/${name}`;
        children.set(path.toLowerCase(), {
          '.tag': 'folder',
          name,
          id: `id:folder-${name}`,
          path_lower: path.toLowerCase(),
          path_display: path,
        });
      } else children.set(lower, fileMeta(file));
    }
    return reply.send(page({ entries: [...children.values()], offset: 0 }));
  });

  app.post('/2/files/list_folder/continue', async (request, reply) => {
    const listing = cursors.get(String(jsonBody(request).cursor ?? ''));
    if (!listing) return reply.code(409).send(dropboxError('reset/', { '.tag': 'reset' }));
    return reply.send(page(listing));
  });

  app.post('/2/users/get_current_account', async (_request, reply) =>
    reply.send({
      account_id: 'dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc',
      email: 'franz@example.com',
      name: { display_name: 'Franz Ferdinand' },
    }),
  );

  fake.url = await listenLocal(app);
  fake.contentUrl = fake.url;
  return fake;
}
