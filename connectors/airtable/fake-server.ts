import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  FailureQueue,
  type InjectedFailure,
  listenLocal,
  type RecordedRequest,
  recordRequest,
  sendFailure,
} from '../testing/fake-server.ts';
import { evaluateFormula, FormulaSyntaxError } from './fake-formula.ts';

export type FakeAirtableRecord = { id: string; createdTime: string; fields: Record<string, unknown> };

export type AirtableFake = {
  /** Give as env.baseUrls.airtable (the v0 root). */
  url: string;
  token: string;
  baseId: string;
  /** The table "Leads" (id tblLeads000000001) and its fields. */
  tableId: string;
  requests: RecordedRequest[];
  records(): FakeAirtableRecord[];
  /** Adds records directly (created `createdTime`, default now). */
  seed(fields: Record<string, unknown>[], createdTime?: string): FakeAirtableRecord[];
  revoke(): void;
  /** Route keys: `GET /records`, `POST /records`, `PATCH /records`, `GET /record`. */
  fail(route: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

export const airtableError = (type: string, message: string) => ({ error: { type, message } });
export const AIRTABLE_RATE_LIMIT_BODY = {
  errors: [{ error: 'RATE_LIMIT_REACHED', message: 'Rate limit exceeded. Please try again later' }],
};

const FIELD_NAMES = new Set(['Name', 'Email', 'Status', 'Amount', 'Notes', 'Created', 'Done']);
const Write = z.object({
  records: z.array(z.object({ id: z.string().optional(), fields: z.record(z.string(), z.unknown()) })),
  typecast: z.boolean().optional(),
});

/**
 * A local Airtable Web API v0 (https://airtable.com/developers/web/api): bearer tokens, one base with the table
 * "Leads", records created and updated 10 per request at most, `GET` lists paged by `pageSize` (≤ 100) and an
 * opaque `offset`, `filterByFormula` evaluated for a subset of the formula language, `sort[0][field]`, `fields[]`,
 * `maxRecords`, `GET /meta/whoami`, and Airtable's error bodies (`{ error: { type, message } }`, a 404's
 * `{ error: "NOT_FOUND" }`, a 429's `{ errors: [...] }`).
 */
export async function startAirtableFake(): Promise<AirtableFake> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const requests: RecordedRequest[] = [];
  const failures = new FailureQueue();
  const records: FakeAirtableRecord[] = [];
  const baseId = 'appFake0000000001';
  const tableId = 'tblLeads000000001';
  let token = 'patFakeToken01.0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
  let nextId = 1;

  const newRecord = (fields: Record<string, unknown>, createdTime = new Date().toISOString()) => {
    const record = { id: `rec${String(nextId++).padStart(14, '0')}`, createdTime, fields };
    records.push(record);
    return record;
  };

  const authorized = (request: FastifyRequest, reply: FastifyReply): boolean => {
    if (request.headers.authorization === `Bearer ${token}`) return true;
    void reply.code(401).send(airtableError('AUTHENTICATION_REQUIRED', 'Authentication required'));
    return false;
  };
  /** The table of the path, or a 404 answered. */
  const table = (params: { base: string; table: string }, reply: FastifyReply): boolean => {
    if (params.base !== baseId) {
      void reply
        .code(404)
        .send(
          airtableError(
            'INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND',
            'Invalid permissions, or the requested model was not found. Check that both your user and your token have the required permissions, and that the model names and/or ids are correct.',
          ),
        );
      return false;
    }
    if (params.table !== 'Leads' && params.table !== tableId) {
      void reply
        .code(404)
        .send(
          airtableError('TABLE_NOT_FOUND', `Could not find table ${params.table} in application ${baseId}`),
        );
      return false;
    }
    return true;
  };
  const unknownField = (fields: Record<string, unknown>) =>
    Object.keys(fields).find((name) => !FIELD_NAMES.has(name));

  app.addHook('preHandler', async (request, reply) => {
    requests.push(recordRequest(request));
    const path = request.url.split('?')[0] ?? '';
    const route = /^\/v0\/app[^/]+\/[^/]+\/rec[^/]+$/.test(path)
      ? `${request.method} /record`
      : /^\/v0\/app[^/]+\/[^/]+$/.test(path)
        ? `${request.method} /records`
        : `${request.method} ${path}`;
    const failure = failures.take(route);
    if (failure) return sendFailure(reply, failure);
  });

  app.get('/v0/meta/whoami', async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    return {
      id: 'usrFake0000000001',
      email: 'ops@example.com',
      scopes: ['data.records:read', 'data.records:write'],
    };
  });

  type TableParams = { base: string; table: string };
  app.get<{ Params: TableParams; Querystring: Record<string, string | string[] | undefined> }>(
    '/v0/:base/:table',
    async (request, reply) => {
      if (!authorized(request, reply) || !table(request.params, reply)) return reply;
      const query = request.query;
      const single = (name: string) => {
        const value = query[name];
        return Array.isArray(value) ? value[0] : value;
      };
      const pageSize = Number(single('pageSize') ?? 100);
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) {
        return reply
          .code(422)
          .send(
            airtableError(
              'INVALID_REQUEST_UNKNOWN',
              'Invalid request: parameter validation failed. Check your request data.',
            ),
          );
      }
      let rows = [...records];
      const formula = single('filterByFormula');
      if (formula) {
        try {
          rows = rows.filter((row) => evaluateFormula(formula, row));
        } catch (error) {
          if (!(error instanceof FormulaSyntaxError)) throw error;
          return reply
            .code(422)
            .send(
              airtableError(
                'INVALID_FILTER_BY_FORMULA',
                `The formula for filtering records is invalid: ${error.message}`,
              ),
            );
        }
      }
      const sortField = single('sort[0][field]');
      if (sortField) {
        const direction = single('sort[0][direction]') === 'desc' ? -1 : 1;
        rows.sort(
          (a, b) =>
            direction * String(a.fields[sortField] ?? '').localeCompare(String(b.fields[sortField] ?? '')),
        );
      }
      const maxRecords = Number(single('maxRecords') ?? Number.POSITIVE_INFINITY);
      rows = rows.slice(0, maxRecords);
      const start = single('offset')
        ? Number(
            Buffer.from(single('offset') ?? '', 'base64url')
              .toString()
              .split('/')[1],
          )
        : 0;
      if (!Number.isInteger(start) || start < 0) {
        return reply
          .code(422)
          .send(airtableError('LIST_RECORDS_ITERATOR_NOT_AVAILABLE', 'The offset is no longer valid.'));
      }
      const wanted = query['fields[]'];
      const only = wanted === undefined ? undefined : Array.isArray(wanted) ? wanted : [wanted];
      const page = rows.slice(start, start + pageSize).map((row) => ({
        id: row.id,
        createdTime: row.createdTime,
        fields: only
          ? Object.fromEntries(Object.entries(row.fields).filter(([name]) => only.includes(name)))
          : row.fields,
      }));
      const more = start + pageSize < rows.length;
      return {
        records: page,
        ...(more ? { offset: Buffer.from(`itr/${start + pageSize}`).toString('base64url') } : {}),
      };
    },
  );

  app.get<{ Params: TableParams & { record: string } }>(
    '/v0/:base/:table/:record',
    async (request, reply) => {
      if (!authorized(request, reply) || !table(request.params, reply)) return reply;
      const record = records.find((candidate) => candidate.id === request.params.record);
      if (!record) return reply.code(404).send({ error: 'NOT_FOUND' });
      return record;
    },
  );

  const write =
    (method: 'POST' | 'PATCH') =>
    async (request: FastifyRequest<{ Params: TableParams }>, reply: FastifyReply) => {
      if (!authorized(request, reply) || !table(request.params, reply)) return reply;
      const body = Write.safeParse(request.body);
      if (!body.success)
        return reply
          .code(422)
          .send(
            airtableError(
              'INVALID_REQUEST_MISSING_FIELDS',
              'Could not find field "records" in the request body',
            ),
          );
      if (body.data.records.length > 10) {
        return reply
          .code(422)
          .send(
            airtableError('INVALID_RECORDS', 'You can only create or update up to 10 records per request'),
          );
      }
      for (const entry of body.data.records) {
        const unknown = unknownField(entry.fields);
        if (unknown)
          return reply
            .code(422)
            .send(airtableError('UNKNOWN_FIELD_NAME', `Unknown field name: "${unknown}"`));
        if (
          entry.fields.Amount !== undefined &&
          typeof entry.fields.Amount !== 'number' &&
          !body.data.typecast
        ) {
          return reply
            .code(422)
            .send(
              airtableError('INVALID_VALUE_FOR_COLUMN', `Field "Amount" cannot accept the provided value`),
            );
        }
      }
      if (method === 'PATCH') {
        const missing = body.data.records.find((entry) => !records.some((record) => record.id === entry.id));
        if (missing)
          return reply
            .code(404)
            .send(
              airtableError('ROW_DOES_NOT_EXIST', `Record ID ${missing.id} does not exist in this table`),
            );
      }
      const written = body.data.records.map((entry) => {
        const fields =
          body.data.typecast && entry.fields.Amount !== undefined
            ? { ...entry.fields, Amount: Number(entry.fields.Amount) }
            : entry.fields;
        if (method === 'POST') return newRecord(fields);
        const record = records.find((candidate) => candidate.id === entry.id);
        if (!record) throw new Error('checked above');
        record.fields = { ...record.fields, ...fields };
        return record;
      });
      return { records: written };
    };
  app.post('/v0/:base/:table', write('POST'));
  app.patch('/v0/:base/:table', write('PATCH'));

  const url = `${await listenLocal(app)}/v0`;
  return {
    url,
    get token() {
      return token;
    },
    baseId,
    tableId,
    requests,
    records: () => records,
    seed: (list, createdTime) => list.map((fields) => newRecord(fields, createdTime)),
    revoke() {
      token = 'patRevokedToken.ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff';
    },
    fail: (route, failure) => failures.add(route, failure),
    close: () => app.close(),
  };
}
