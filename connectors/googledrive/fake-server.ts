import { createHash, randomBytes } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import {
  type GoogleFakeAuth,
  type GooglePrincipal,
  googleError,
  mountGoogleAuth,
} from '../google/fake-auth.ts';
import {
  FailureQueue,
  type InjectedFailure,
  listenLocal,
  type RecordedRequest,
  recordRequest,
  sendFailure,
} from '../testing/fake-server.ts';

export type FakeDriveFile = {
  id: string;
  name: string;
  mimeType: string;
  parents: string[];
  description?: string;
  createdTime: string;
  modifiedTime: string;
  trashed: boolean;
  content: Buffer;
  permissions: { id: string; type: string; role: string; emailAddress?: string; domain?: string }[];
  readers: Set<string>;
};

export type DriveFake = {
  /** Give as env.baseUrls.googledrive (www.googleapis.com's root). */
  url: string;
  /** Give as env.baseUrls['google-oauth']. */
  oauthUrl: string;
  auth: GoogleFakeAuth;
  requests: RecordedRequest[];
  files(): FakeDriveFile[];
  /** Adds a file as a person would (visible to the fake person and the service account unless `readers` says). */
  add(file: Partial<FakeDriveFile> & { name: string }): FakeDriveFile;
  /** Route keys: `files.list`, `files.get`, `files.create`, `files.upload`, `files.export`, `permissions.create`. */
  fail(route: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

const READ_SCOPES = [
  'https://www.googleapis.com/auth/drive',
  'https://www.googleapis.com/auth/drive.readonly',
  'https://www.googleapis.com/auth/drive.file',
];
const WRITE_SCOPES = ['https://www.googleapis.com/auth/drive', 'https://www.googleapis.com/auth/drive.file'];
const GOOGLE_DOC = 'application/vnd.google-apps.document';

function resource(file: FakeDriveFile) {
  const google = file.mimeType.startsWith('application/vnd.google-apps.');
  return {
    kind: 'drive#file',
    id: file.id,
    name: file.name,
    mimeType: file.mimeType,
    parents: file.parents,
    ...(google
      ? {}
      : {
          size: String(file.content.length),
          md5Checksum: createHash('md5').update(file.content).digest('hex'),
        }),
    createdTime: file.createdTime,
    modifiedTime: file.modifiedTime,
    trashed: file.trashed,
    webViewLink: `https://drive.google.com/file/d/${file.id}/view?usp=drivesdk`,
  };
}

/** The subset of Drive's query language the connector writes: `and`-joined terms of these forms. */
const LITERAL = String.raw`'((?:[^'\\]|\\.)*)'`;
const unquote = (text: string | undefined) => (text ?? '').replace(/\\(.)/g, '$1');
type FileTest = (file: FakeDriveFile) => boolean;
const TERMS: { pattern: RegExp; test(match: RegExpExecArray): FileTest | undefined }[] = [
  { pattern: /^trashed = false$/, test: () => (file) => !file.trashed },
  {
    pattern: new RegExp(`^${LITERAL} in parents$`),
    test: (match) => (file) => file.parents.includes(unquote(match[1])),
  },
  {
    pattern: new RegExp(`^name contains ${LITERAL}$`),
    test: (match) => (file) => file.name.toLowerCase().includes(unquote(match[1]).toLowerCase()),
  },
  {
    pattern: new RegExp(`^mimeType = ${LITERAL}$`),
    test: (match) => (file) => file.mimeType === unquote(match[1]),
  },
  {
    pattern: new RegExp(`^(createdTime|modifiedTime) > ${LITERAL}$`),
    test: (match) => {
      const field = match[1] === 'createdTime' ? 'createdTime' : 'modifiedTime';
      const time = Date.parse(unquote(match[2]));
      return Number.isNaN(time) ? undefined : (file) => Date.parse(file[field]) > time;
    },
  },
];

function compileQuery(q: string): FileTest | undefined {
  const tests: FileTest[] = [];
  for (const raw of q.split(/\s+and\s+/)) {
    const term = raw.trim().replace(/^\((.*)\)$/, '$1');
    const compiled = TERMS.flatMap(({ pattern, test }) => {
      const match = pattern.exec(term);
      return match ? [test(match)] : [];
    })[0];
    if (!compiled) return undefined;
    tests.push(compiled);
  }
  return (file) => tests.every((test) => test(file));
}

/** multipart/related: the parts' headers and bodies (RFC 2387), split at the boundary. */
function relatedParts(body: Buffer, contentType: string): { type: string; body: Buffer }[] | undefined {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (!boundary) return undefined;
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: { type: string; body: Buffer }[] = [];
  let start = body.indexOf(delimiter);
  while (start >= 0) {
    const afterDelimiter = start + delimiter.length;
    if (body.subarray(afterDelimiter, afterDelimiter + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, afterDelimiter);
    if (next < 0) return undefined;
    const part = body.subarray(afterDelimiter + 2, next - 2);
    const split = part.indexOf('\r\n\r\n');
    const headers = part.subarray(0, split).toString();
    parts.push({
      type: /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1] ?? '',
      body: part.subarray(split + 4),
    });
    start = next;
  }
  return parts;
}

/**
 * A local Google Drive API v3 (https://developers.google.com/workspace/drive/api/reference/rest/v3): files.list with
 * `q`, `orderBy`, `pageSize` and `pageToken`; files.get (metadata, or the bytes with alt=media); files.export;
 * files.create of metadata (folders) and the multipart upload (`/upload/drive/v3/files?uploadType=multipart`,
 * multipart/related); permissions.create; Google's error body (404 notFound, 403 insufficient scopes and
 * userRateLimitExceeded, 401 UNAUTHENTICATED) and Google's token endpoint.
 */
export async function startDriveFake(): Promise<DriveFake> {
  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 64 * 1024 * 1024 });
  const requests: RecordedRequest[] = [];
  const failures = new FailureQueue();
  const files: FakeDriveFile[] = [];
  let base = '';
  const auth = mountGoogleAuth(app, () => base);
  let clock = Date.parse('2026-12-04T09:00:00.000Z');
  const now = () => {
    clock += 1000;
    return new Date(clock).toISOString();
  };

  app.addContentTypeParser('multipart/related', { parseAs: 'buffer' }, (_request, body, done) =>
    done(null, body),
  );
  // A resumable session's PUT carries the file's own bytes, of any type.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  const sessions = new Map<
    string,
    { principal: GooglePrincipal; meta: Record<string, unknown>; type: string }
  >();

  const newFile = (fields: Partial<FakeDriveFile> & { name: string }): FakeDriveFile => {
    const time = now();
    const file: FakeDriveFile = {
      id: `1${randomBytes(18)
        .toString('base64url')
        .replace(/[^A-Za-z0-9]/g, 'x')}`,
      mimeType: 'application/octet-stream',
      parents: ['root'],
      createdTime: time,
      modifiedTime: time,
      trashed: false,
      content: Buffer.alloc(0),
      permissions: [],
      readers: new Set([auth.personEmail, auth.robotEmail]),
      ...fields,
    };
    files.push(file);
    return file;
  };

  const routeOf = (request: FastifyRequest): string => {
    const path = request.url.split('?')[0] ?? '';
    if (path.startsWith('/upload/')) return 'files.upload';
    if (path.endsWith('/permissions')) return 'permissions.create';
    if (path.endsWith('/export')) return 'files.export';
    if (path === '/drive/v3/files') return request.method === 'GET' ? 'files.list' : 'files.create';
    return 'files.get';
  };

  app.addHook('preHandler', async (request, reply) => {
    requests.push({
      ...recordRequest(request),
      body: Buffer.isBuffer(request.body) ? request.body.toString('latin1') : request.body,
    });
    if (!/^\/(upload\/)?drive\//.test(request.url)) return;
    const failure = failures.take(routeOf(request));
    if (failure) return sendFailure(reply, failure);
  });

  const principalFor = (
    request: FastifyRequest,
    reply: FastifyReply,
    write: boolean,
  ): GooglePrincipal | undefined => {
    const principal = auth.principal(request, reply);
    if (!principal) return undefined;
    if (!(write ? WRITE_SCOPES : READ_SCOPES).some((scope) => principal.scopes.has(scope))) {
      void reply.code(403).send(
        googleError(403, 'PERMISSION_DENIED', 'Request had insufficient authentication scopes.', {
          reason: 'insufficientPermissions',
          details: [
            {
              '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
              reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
            },
          ],
        }),
      );
      return undefined;
    }
    return principal;
  };
  const notFound = (reply: FastifyReply, id: string) =>
    reply
      .code(404)
      .send(
        googleError(404, 'NOT_FOUND', `File not found: ${id}.`, { reason: 'notFound', domain: 'global' }),
      );
  const visible = (principal: GooglePrincipal, id: string) =>
    files.find((file) => file.id === id && !file.trashed && file.readers.has(principal.email));

  type Query = Record<string, string | undefined>;

  app.get<{ Querystring: Query }>('/drive/v3/files', async (request, reply) => {
    const principal = principalFor(request, reply, false);
    if (!principal) return reply;
    const test = compileQuery(request.query.q ?? 'trashed = false');
    if (!test)
      return reply
        .code(400)
        .send(googleError(400, 'INVALID_ARGUMENT', 'Invalid Value', { reason: 'invalid' }));
    const pageSize = Math.min(1000, Number(request.query.pageSize ?? 100));
    const order = request.query.orderBy ?? 'modifiedTime desc';
    const listed = files
      .filter((file) => file.readers.has(principal.email) && test(file))
      .sort((a, b) =>
        order.startsWith('createdTime')
          ? b.createdTime.localeCompare(a.createdTime)
          : order.includes('name')
            ? a.name.localeCompare(b.name)
            : b.modifiedTime.localeCompare(a.modifiedTime),
      );
    const start = request.query.pageToken
      ? Number(Buffer.from(request.query.pageToken, 'base64url').toString())
      : 0;
    const page = listed.slice(start, start + pageSize);
    const next =
      start + pageSize < listed.length
        ? Buffer.from(String(start + pageSize)).toString('base64url')
        : undefined;
    return {
      kind: 'drive#fileList',
      incompleteSearch: false,
      files: page.map(resource),
      ...(next ? { nextPageToken: next } : {}),
    };
  });

  app.get<{ Params: { id: string }; Querystring: Query }>('/drive/v3/files/:id', async (request, reply) => {
    const principal = principalFor(request, reply, false);
    if (!principal) return reply;
    const file = visible(principal, request.params.id);
    if (!file) return notFound(reply, request.params.id);
    if (request.query.alt !== 'media') return resource(file);
    if (file.mimeType.startsWith('application/vnd.google-apps.')) {
      return reply
        .code(403)
        .send(
          googleError(
            403,
            'PERMISSION_DENIED',
            'Only files with binary content can be downloaded. Use Export with Docs Editors files.',
            { reason: 'fileNotDownloadable' },
          ),
        );
    }
    return reply.type(file.mimeType).send(file.content);
  });

  app.get<{ Params: { id: string }; Querystring: Query }>(
    '/drive/v3/files/:id/export',
    async (request, reply) => {
      const principal = principalFor(request, reply, false);
      if (!principal) return reply;
      const file = visible(principal, request.params.id);
      if (!file) return notFound(reply, request.params.id);
      const type = request.query.mimeType ?? '';
      const text = file.content.toString('utf8');
      if (type === 'text/plain') return reply.type('text/plain').send(text);
      if (type === 'application/pdf')
        return reply.type('application/pdf').send(Buffer.from(`%PDF-1.4\n% ${text}\n%%EOF\n`));
      return reply.code(400).send(
        googleError(400, 'INVALID_ARGUMENT', 'The requested conversion is not supported.', {
          reason: 'badRequest',
        }),
      );
    },
  );

  const metadataOf = (value: unknown) =>
    value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  const created = (
    principal: GooglePrincipal,
    meta: Record<string, unknown>,
    content: Buffer,
    contentType: string,
  ) =>
    newFile({
      name: typeof meta.name === 'string' ? meta.name : 'Untitled',
      mimeType: typeof meta.mimeType === 'string' ? meta.mimeType : contentType || 'application/octet-stream',
      parents: Array.isArray(meta.parents) ? meta.parents.map(String) : ['root'],
      ...(typeof meta.description === 'string' ? { description: meta.description } : {}),
      content,
      readers: new Set([principal.email]),
    });

  app.post<{ Querystring: Query }>('/drive/v3/files', async (request, reply) => {
    const principal = principalFor(request, reply, true);
    if (!principal) return reply;
    const meta = metadataOf(request.body);
    const parent = Array.isArray(meta.parents) ? String(meta.parents[0]) : undefined;
    if (parent && parent !== 'root' && !visible(principal, parent)) return notFound(reply, parent);
    return resource(created(principal, meta, Buffer.alloc(0), ''));
  });

  app.post<{ Querystring: Query }>('/upload/drive/v3/files', async (request, reply) => {
    const principal = principalFor(request, reply, true);
    if (!principal) return reply;
    if (request.query.uploadType === 'resumable') {
      const meta = metadataOf(request.body);
      const id = randomBytes(16).toString('hex');
      sessions.set(id, { principal, meta, type: String(request.headers['x-upload-content-type'] ?? '') });
      return reply
        .header('location', `${base}/upload/drive/v3/files?uploadType=resumable&upload_id=${id}`)
        .code(200)
        .send();
    }
    if (request.query.uploadType !== 'multipart') {
      return reply
        .code(400)
        .send(googleError(400, 'INVALID_ARGUMENT', 'Invalid upload type.', { reason: 'badRequest' }));
    }
    const parts = Buffer.isBuffer(request.body)
      ? relatedParts(request.body, String(request.headers['content-type'] ?? ''))
      : undefined;
    const [metaPart, mediaPart] = parts ?? [];
    if (!metaPart || !mediaPart || !/application\/json/.test(metaPart.type)) {
      return reply
        .code(400)
        .send(googleError(400, 'INVALID_ARGUMENT', 'Bad multipart request.', { reason: 'badContent' }));
    }
    const meta = metadataOf(JSON.parse(metaPart.body.toString('utf8')));
    const parent = Array.isArray(meta.parents) ? String(meta.parents[0]) : undefined;
    if (parent && parent !== 'root' && !visible(principal, parent)) return notFound(reply, parent);
    return resource(created(principal, meta, Buffer.from(mediaPart.body), mediaPart.type));
  });

  app.put<{ Querystring: Query }>('/upload/drive/v3/files', async (request, reply) => {
    const principal = principalFor(request, reply, true);
    if (!principal) return reply;
    const session = sessions.get(request.query.upload_id ?? '');
    if (!session || session.principal.email !== principal.email) {
      return reply
        .code(404)
        .send(googleError(404, 'NOT_FOUND', 'Upload session not found.', { reason: 'notFound' }));
    }
    sessions.delete(request.query.upload_id ?? '');
    const content = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    return reply.code(200).send(resource(created(principal, session.meta, content, session.type)));
  });

  app.post<{ Params: { id: string }; Querystring: Query }>(
    '/drive/v3/files/:id/permissions',
    async (request, reply) => {
      const principal = principalFor(request, reply, true);
      if (!principal) return reply;
      const file = visible(principal, request.params.id);
      if (!file) return notFound(reply, request.params.id);
      const body = metadataOf(request.body);
      const type = String(body.type ?? '');
      const role = String(body.role ?? '');
      if (
        !['user', 'group', 'domain', 'anyone'].includes(type) ||
        !['reader', 'commenter', 'writer', 'owner'].includes(role)
      ) {
        return reply
          .code(400)
          .send(
            googleError(400, 'INVALID_ARGUMENT', 'Invalid permission type or role.', { reason: 'invalid' }),
          );
      }
      if ((type === 'user' || type === 'group') && typeof body.emailAddress !== 'string') {
        return reply.code(400).send(
          googleError(400, 'INVALID_ARGUMENT', 'The permission emailAddress field is required.', {
            reason: 'required',
          }),
        );
      }
      const email = typeof body.emailAddress === 'string' ? body.emailAddress : undefined;
      const existing = file.permissions.find((permission) => email && permission.emailAddress === email);
      const permission = existing ?? {
        id: email
          ? `0${createHash('sha1').update(email).digest('hex').slice(0, 19)}`
          : `anyoneWithLink${file.permissions.length}`,
        type,
        role,
        ...(email ? { emailAddress: email } : {}),
        ...(typeof body.domain === 'string' ? { domain: body.domain } : {}),
      };
      permission.role = role;
      if (!existing) file.permissions.push(permission);
      if (email) file.readers.add(email);
      return { kind: 'drive#permission', ...permission };
    },
  );

  const origin = await listenLocal(app);
  base = origin;
  return {
    url: origin,
    oauthUrl: origin,
    auth,
    requests,
    files: () => files,
    add: (file) => newFile(file),
    fail: (route, failure) => failures.add(route, failure),
    close: () => app.close(),
  };
}

export { GOOGLE_DOC };
