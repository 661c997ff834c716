import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import {
  FailureQueue,
  type InjectedFailure,
  listenLocal,
  type RecordedRequest,
  recordRequest,
  sendFailure,
} from '../testing/fake-server.ts';

type FakeRow = Record<string, unknown>;
type FakeTable = { primaryKey: string; unique: string[]; rows: FakeRow[]; nextId: number };

export type SupabaseFake = {
  /** The project URL: give as env.baseUrls.supabase. */
  url: string;
  /** A legacy service_role key (a JWT: sent as apikey and as the bearer). */
  serviceKey: string;
  /** A new-style secret key (sb_secret_…, only in apikey). */
  secretKey: string;
  requests: RecordedRequest[];
  rows(table: string): FakeRow[];
  seed(table: string, rows: FakeRow[]): void;
  objects(): Map<string, { bytes: Buffer; contentType: string }>;
  /** The keys are rotated (Project Settings → API → roll the JWT secret). */
  revoke(): void;
  /** Route keys: `GET /rest/v1/:table`, `POST /rest/v1/:table`, `PATCH /rest/v1/:table`, `DELETE /rest/v1/:table`. */
  fail(route: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

/** PostgREST's error body. */
export function postgrestError(
  code: string,
  message: string,
  details: string | null = null,
  hint: string | null = null,
) {
  return { code, details, hint, message };
}

const RESERVED = new Set(['select', 'order', 'limit', 'offset', 'on_conflict', 'columns', 'and', 'or']);

/** `in.("a,b",c)` → ['a,b', 'c'] (PostgREST's quoting: double quotes, backslash escapes). */
function parseList(text: string): string[] {
  const items: string[] = [];
  let current = '';
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index] ?? '';
    if (quoted && char === '\\') current += text[++index] ?? '';
    else if (char === '"') quoted = !quoted;
    else if (char === ',' && !quoted) {
      items.push(current);
      current = '';
    } else current += char;
  }
  items.push(current);
  return items;
}

const compare = (a: unknown, b: string): number => {
  if (typeof a === 'number') return a - Number(b);
  return String(a).localeCompare(b);
};
const likeRegex = (pattern: string, flags: string) =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/[%*]/g, '.*')}$`, flags);

/** Whether `row` passes one PostgREST filter value (`eq.5`, `not.in.(a,b)`, `is.null`); undefined for a bad one. */
function passes(row: FakeRow, column: string, expression: string): boolean | undefined {
  const negated = expression.startsWith('not.');
  const rest = negated ? expression.slice(4) : expression;
  const dot = rest.indexOf('.');
  if (dot < 0) return undefined;
  const op = rest.slice(0, dot);
  const operand = rest.slice(dot + 1);
  const value = row[column];
  let result: boolean;
  switch (op) {
    case 'eq':
      result = value !== null && value !== undefined && compare(value, operand) === 0;
      break;
    case 'neq':
      result = value !== null && value !== undefined && compare(value, operand) !== 0;
      break;
    case 'gt':
      result = value !== null && compare(value, operand) > 0;
      break;
    case 'gte':
      result = value !== null && compare(value, operand) >= 0;
      break;
    case 'lt':
      result = value !== null && compare(value, operand) < 0;
      break;
    case 'lte':
      result = value !== null && compare(value, operand) <= 0;
      break;
    case 'like':
      result = likeRegex(operand, '').test(String(value));
      break;
    case 'ilike':
      result = likeRegex(operand, 'i').test(String(value));
      break;
    case 'is':
      if (!['null', 'true', 'false'].includes(operand)) return undefined;
      result = operand === 'null' ? value === null || value === undefined : String(value) === operand;
      break;
    case 'in': {
      if (!operand.startsWith('(') || !operand.endsWith(')')) return undefined;
      const items = parseList(operand.slice(1, -1));
      result = items.some((item) => value !== null && value !== undefined && compare(value, item) === 0);
      break;
    }
    default:
      return undefined;
  }
  return negated ? !result : result;
}

/**
 * A local Supabase project: PostgREST at `/rest/v1` (apikey header, and the bearer for JWT keys; filters as
 * `column=op.value` with not., in.(…) quoting and is.; select, order; Range / Range-Unit paging answered with
 * Content-Range and 206, Prefer count=exact, return=representation, resolution=merge-duplicates|ignore-duplicates
 * with on_conflict; 409 23505 on a unique key, 400 21000 for UPDATE/DELETE without a filter, 404 PGRST205 for an
 * unknown table) and Storage at `/storage/v1/object/{bucket}/{path}` (x-upsert, its `{ statusCode, error, message }`
 * errors).
 */
export async function startSupabaseFake(): Promise<SupabaseFake> {
  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 20 * 1024 * 1024 });
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  const requests: RecordedRequest[] = [];
  const failures = new FailureQueue();
  const tables = new Map<string, FakeTable>([
    ['orders', { primaryKey: 'id', unique: ['email'], rows: [], nextId: 1 }],
    ['customers', { primaryKey: 'id', unique: ['email'], rows: [], nextId: 1 }],
  ]);
  const buckets = new Set(['invoices']);
  const objects = new Map<string, { bytes: Buffer; contentType: string }>();
  let serviceKey = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2lnbmF0dXJlLTAx';
  let secretKey = 'sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz';

  const authorized = (request: FastifyRequest, reply: FastifyReply): boolean => {
    const apikey = request.headers.apikey;
    const bearer = request.headers.authorization?.replace(/^Bearer /, '');
    const ok =
      (apikey === serviceKey && (bearer === undefined || bearer === serviceKey)) ||
      (apikey === secretKey && bearer === undefined);
    if (ok) return true;
    void reply.code(401).send({
      message: 'Invalid API key',
      hint: 'Double check your Supabase `anon` or `service_role` API key.',
    });
    return false;
  };

  app.addHook('preHandler', async (request, reply) => {
    requests.push(recordRequest(request));
    const path = (request.url.split('?')[0] ?? '').replace(/^\/rest\/v1\/[A-Za-z_]\w*$/, '/rest/v1/:table');
    const failure = failures.take(`${request.method} ${path}`);
    if (failure) return sendFailure(reply, failure);
  });

  const tableOf = (request: FastifyRequest<{ Params: { table: string } }>, reply: FastifyReply) => {
    const table = tables.get(request.params.table);
    if (table) return table;
    void reply
      .code(404)
      .send(
        postgrestError(
          'PGRST205',
          `Could not find the table 'public.${request.params.table}' in the schema cache`,
          null,
          "Perhaps you meant the table 'public.orders'",
        ),
      );
    return undefined;
  };

  /** The rows passing every filter parameter, or a 400 reply for a filter PostgREST could not parse. */
  const filtered = (
    table: FakeTable,
    query: Record<string, string | string[] | undefined>,
    reply: FastifyReply,
  ): { rows: FakeRow[]; filters: number } | undefined => {
    let rows = table.rows;
    let filters = 0;
    for (const [column, raw] of Object.entries(query)) {
      if (RESERVED.has(column) || raw === undefined) continue;
      for (const expression of Array.isArray(raw) ? raw : [raw]) {
        filters += 1;
        const bad = rows.length > 0 && rows.every((row) => passes(row, column, expression) === undefined);
        if (bad || passes({}, column, expression) === undefined) {
          void reply
            .code(400)
            .send(postgrestError('PGRST100', `"failed to parse filter (${expression})" (line 1, column 1)`));
          return undefined;
        }
        rows = rows.filter((row) => passes(row, column, expression));
      }
    }
    return { rows, filters };
  };

  const project = (rows: FakeRow[], select: string | undefined) => {
    if (!select || select === '*') return rows;
    const columns = select.split(',');
    return rows.map((row) => Object.fromEntries(columns.map((column) => [column, row[column] ?? null])));
  };

  const uniqueClash = (table: FakeTable, row: FakeRow, except?: FakeRow) =>
    [table.primaryKey, ...table.unique].find(
      (column) =>
        row[column] !== undefined &&
        table.rows.some((other) => other !== except && other[column] === row[column]),
    );

  type TableRequest = FastifyRequest<{
    Params: { table: string };
    Querystring: Record<string, string | string[] | undefined>;
  }>;

  app.get('/rest/v1/', async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    return { swagger: '2.0', info: { title: 'standard public schema' }, paths: {} };
  });

  app.get('/rest/v1/:table', async (request: TableRequest, reply) => {
    if (!authorized(request, reply)) return reply;
    const table = tableOf(request, reply);
    if (!table) return reply;
    const result = filtered(table, request.query, reply);
    if (!result) return reply;
    let rows = [...result.rows];
    const order = typeof request.query.order === 'string' ? request.query.order : undefined;
    for (const term of (order ?? '').split(',').filter(Boolean).reverse()) {
      const [column = '', direction] = term.split('.');
      rows.sort((a, b) => compare(a[column], String(b[column])) * (direction === 'desc' ? -1 : 1));
    }
    const range = /^(\d+)-(\d+)$/.exec(String(request.headers.range ?? ''));
    const from = range ? Number(range[1]) : 0;
    const to = range ? Math.min(Number(range[2]), from + 999) : from + 999;
    const counted = String(request.headers.prefer ?? '').includes('count=exact');
    const page = rows.slice(from, to + 1);
    rows = page;
    const total = counted ? String(result.rows.length) : '*';
    reply.header(
      'content-range',
      page.length === 0 ? `*/${total}` : `${from}-${from + page.length - 1}/${total}`,
    );
    const partial = counted && from + page.length < result.rows.length;
    return reply.code(partial ? 206 : 200).send(project(rows, request.query.select as string | undefined));
  });

  app.post('/rest/v1/:table', async (request: TableRequest, reply) => {
    if (!authorized(request, reply)) return reply;
    const table = tableOf(request, reply);
    if (!table) return reply;
    const body = request.body;
    const incoming = (Array.isArray(body) ? body : [body]) as FakeRow[];
    const prefer = String(request.headers.prefer ?? '');
    const merge = prefer.includes('resolution=merge-duplicates');
    const ignore = prefer.includes('resolution=ignore-duplicates');
    const conflictColumns =
      typeof request.query.on_conflict === 'string'
        ? request.query.on_conflict.split(',')
        : [table.primaryKey];
    const written: FakeRow[] = [];
    for (const row of incoming) {
      if (Object.keys(row).some((column) => !/^[a-z_]+$/.test(column))) {
        return reply
          .code(400)
          .send(
            postgrestError(
              'PGRST204',
              `Could not find the '${Object.keys(row)[0]}' column of '${request.params.table}' in the schema cache`,
            ),
          );
      }
      const existing =
        merge || ignore
          ? table.rows.find((other) =>
              conflictColumns.every((column) => row[column] !== undefined && other[column] === row[column]),
            )
          : undefined;
      if (existing) {
        if (merge) Object.assign(existing, row);
        if (merge) written.push(existing);
        continue;
      }
      const clash = uniqueClash(table, row);
      if (clash) {
        return reply
          .code(409)
          .send(
            postgrestError(
              '23505',
              `duplicate key value violates unique constraint "${request.params.table}_${clash}_key"`,
              `Key (${clash})=(${String(row[clash])}) already exists.`,
            ),
          );
      }
      const created = { [table.primaryKey]: table.nextId++, created_at: new Date().toISOString(), ...row };
      table.rows.push(created);
      written.push(created);
    }
    if (!prefer.includes('return=representation')) return reply.code(201).send();
    return reply.code(201).send(written);
  });

  app.patch('/rest/v1/:table', async (request: TableRequest, reply) => {
    if (!authorized(request, reply)) return reply;
    const table = tableOf(request, reply);
    if (!table) return reply;
    const result = filtered(table, request.query, reply);
    if (!result) return reply;
    if (result.filters === 0) {
      return reply.code(400).send(postgrestError('21000', 'UPDATE requires a WHERE clause'));
    }
    for (const row of result.rows) Object.assign(row, request.body as FakeRow);
    return String(request.headers.prefer ?? '').includes('return=representation')
      ? result.rows
      : reply.code(204).send();
  });

  app.delete('/rest/v1/:table', async (request: TableRequest, reply) => {
    if (!authorized(request, reply)) return reply;
    const table = tableOf(request, reply);
    if (!table) return reply;
    const result = filtered(table, request.query, reply);
    if (!result) return reply;
    if (result.filters === 0) {
      return reply.code(400).send(postgrestError('21000', 'DELETE requires a WHERE clause'));
    }
    table.rows = table.rows.filter((row) => !result.rows.includes(row));
    return String(request.headers.prefer ?? '').includes('return=representation')
      ? result.rows
      : reply.code(204).send();
  });

  const storageError = (reply: FastifyReply, status: number, error: string, message: string) =>
    reply.code(status).send({ statusCode: String(status), error, message });

  type ObjectRequest = FastifyRequest<{ Params: { bucket: string; '*': string } }>;
  app.post('/storage/v1/object/:bucket/*', async (request: ObjectRequest, reply) => {
    if (!authorized(request, reply)) return reply;
    const { bucket } = request.params;
    const path = request.params['*'];
    if (!buckets.has(bucket)) return storageError(reply, 404, 'Bucket not found', 'Bucket not found');
    const key = `${bucket}/${decodeURIComponent(path)}`;
    if (objects.has(key) && request.headers['x-upsert'] !== 'true') {
      return storageError(reply, 400, 'Duplicate', 'The resource already exists');
    }
    const bytes = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    objects.set(key, {
      bytes,
      contentType: String(request.headers['content-type'] ?? 'application/octet-stream'),
    });
    return { Key: key, Id: `5f1d0c7e-0000-4000-8000-${String(objects.size).padStart(12, '0')}` };
  });

  app.get('/storage/v1/object/:bucket/*', async (request: ObjectRequest, reply) => {
    if (!authorized(request, reply)) return reply;
    const key = `${request.params.bucket}/${decodeURIComponent(request.params['*'])}`;
    const object = objects.get(key);
    if (!object) return storageError(reply, 404, 'not_found', 'Object not found');
    return reply.header('content-type', object.contentType).send(object.bytes);
  });

  const url = await listenLocal(app);
  return {
    url,
    get serviceKey() {
      return serviceKey;
    },
    get secretKey() {
      return secretKey;
    },
    requests,
    rows: (table) => tables.get(table)?.rows ?? [],
    seed(name, rows) {
      const table = tables.get(name);
      if (!table) throw new Error(`no table ${name}`);
      for (const row of rows) table.rows.push({ [table.primaryKey]: table.nextId++, ...row });
    },
    objects: () => objects,
    revoke() {
      serviceKey = 'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.cm90YXRlZA';
      secretKey = 'sb_secret_rotatedrotatedrotated0000';
    },
    fail: (route, failure) => failures.add(route, failure),
    close: () => app.close(),
  };
}
