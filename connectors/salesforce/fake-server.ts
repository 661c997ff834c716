import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import {
  FailureQueue,
  type InjectedFailure,
  listenLocal,
  type RecordedRequest,
  recordRequest,
  sendFailure,
} from '../testing/fake-server.ts';
import { SALESFORCE_API_VERSION } from './client.ts';
import { matchesWhere, parseSoql, SoqlSyntaxError } from './fake-soql.ts';

type FakeRecord = Record<string, unknown> & { Id: string; CreatedDate: string };

export type SalesforceFake = {
  /** Give as env.baseUrls.salesforce (…/services/data/v60.0). */
  url: string;
  /** The fake's origin, as a token answer's instance_url names it. */
  origin: string;
  accessToken: string;
  /** The connected app and refresh token the token endpoint (`<origin>/services/oauth2/token`) accepts. */
  oauth: { clientId: string; clientSecret: string; refreshToken: string };
  requests: RecordedRequest[];
  records(sobject: string): FakeRecord[];
  /** Adds records created now (or at `createdAt`), newest last. */
  seed(
    sobject: string,
    count: number,
    fields?: (index: number) => Record<string, unknown>,
    createdAt?: Date,
  ): FakeRecord[];
  /** Records per query page (Salesforce: 200–2000, default 2000). */
  setBatchSize(size: number): void;
  /** The session ends: the token stops working (INVALID_SESSION_ID). */
  revoke(): void;
  /** Route keys: `GET /query`, `POST /sobjects/:type`, `PATCH /sobjects/:type/:id`, `GET /limits`. */
  fail(route: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

export const salesforceError = (errorCode: string, message: string, fields?: string[]) => [
  { message, errorCode, ...(fields ? { fields } : {}) },
];

const PREFIX: Record<string, string> = {
  Lead: '00Q',
  Contact: '003',
  Account: '001',
  Opportunity: '006',
  Invoice__c: 'a01',
};
const REQUIRED: Record<string, string[]> = {
  Lead: ['LastName', 'Company'],
  Contact: ['LastName'],
  Account: ['Name'],
};
const FIELDS: Record<string, string[]> = {
  Lead: ['FirstName', 'LastName', 'Company', 'Email', 'Status', 'Name', 'LeadSource'],
  Contact: ['FirstName', 'LastName', 'Email', 'Name', 'ERP_Id__c', 'Phone'],
  Account: ['Name', 'Industry', 'Website'],
  Opportunity: ['Name', 'StageName', 'Amount', 'CloseDate'],
  Invoice__c: ['Name', 'Amount__c'],
};
const SYSTEM = ['Id', 'CreatedDate', 'LastModifiedDate'];

/** Salesforce's datetime in answers: `2026-12-04T10:00:00.000+0000`. */
const sfDate = (date: Date) => date.toISOString().replace('Z', '+0000');

/**
 * A local Salesforce REST API v60.0 (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta): bearer
 * session tokens, `sobjects/{type}` create (201), update (PATCH, 204) and upsert by external id (201/200),
 * `query?q=` with a small SOQL evaluator and `nextRecordsUrl` pages, `limits`, the OAuth token endpoint answering
 * `instance_url`, and the `[{ message, errorCode, fields }]` error bodies (INVALID_SESSION_ID, MALFORMED_QUERY,
 * INVALID_FIELD, REQUIRED_FIELD_MISSING, NOT_FOUND).
 */
export async function startSalesforceFake(): Promise<SalesforceFake> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });
  const requests: RecordedRequest[] = [];
  const failures = new FailureQueue();
  const store = new Map<string, FakeRecord[]>();
  const cursors = new Map<string, { records: Record<string, unknown>[]; totalSize: number }>();
  const oauth = {
    clientId: '3MVG9_fake_consumer_key',
    clientSecret: `sf-secret-${randomBytes(8).toString('hex')}`,
    refreshToken: `5Aep${randomBytes(24).toString('hex')}`,
  };
  const newToken = () => `00D5e000000AbCd!AR${randomBytes(24).toString('hex')}`;
  let accessToken = newToken();
  let batchSize = 2000;
  let origin = '';
  const base = `/services/data/${SALESFORCE_API_VERSION}`;
  let counter = 0;
  const newId = (sobject: string) =>
    `${PREFIX[sobject] ?? 'a0Z'}5e0000${String(++counter).padStart(6, '0')}AAA`.slice(0, 18);
  const recordsOf = (sobject: string) => {
    const list = store.get(sobject) ?? [];
    store.set(sobject, list);
    return list;
  };

  const authorized = (request: FastifyRequest, reply: FastifyReply): boolean => {
    if (request.headers.authorization === `Bearer ${accessToken}`) return true;
    void reply.code(401).send(salesforceError('INVALID_SESSION_ID', 'Session expired or invalid'));
    return false;
  };

  const knownObject = (sobject: string, reply: FastifyReply): boolean => {
    if (FIELDS[sobject]) return true;
    void reply.code(404).send(salesforceError('NOT_FOUND', 'The requested resource does not exist'));
    return false;
  };

  const badField = (sobject: string, fields: Record<string, unknown>, reply: FastifyReply): boolean => {
    const unknown = Object.keys(fields).find((field) => !FIELDS[sobject]?.includes(field));
    if (!unknown) return false;
    void reply
      .code(400)
      .send(salesforceError('INVALID_FIELD', `No such column '${unknown}' on sobject of type ${sobject}`));
    return true;
  };

  app.addHook('preHandler', async (request, reply) => {
    requests.push(recordRequest(request));
    const path = (request.url.split('?')[0] ?? '')
      .replace(base, '')
      .replace(/^\/sobjects\/[^/]+\/[^/]+\/[^/]+$/, '/sobjects/:type/:field/:value')
      .replace(/^\/sobjects\/[^/]+\/[A-Za-z0-9]{15,18}$/, '/sobjects/:type/:id')
      .replace(/^\/sobjects\/[^/]+\/?$/, '/sobjects/:type')
      .replace(/^\/query\/.+$/, '/query/:locator');
    const failure = failures.take(`${request.method} ${path}`);
    if (failure) return sendFailure(reply, failure);
  });

  const create = (sobject: string, fields: Record<string, unknown>, createdAt = new Date()): FakeRecord => {
    const record: FakeRecord = {
      ...fields,
      Id: newId(sobject),
      CreatedDate: sfDate(createdAt),
      LastModifiedDate: sfDate(createdAt),
    };
    if (sobject === 'Lead' || sobject === 'Contact')
      record.Name = [fields.FirstName, fields.LastName].filter(Boolean).join(' ');
    recordsOf(sobject).push(record);
    return record;
  };

  app.post<{ Params: { type: string }; Body: Record<string, unknown> }>(
    `${base}/sobjects/:type/`,
    async (request, reply) => {
      if (!authorized(request, reply)) return reply;
      const { type } = request.params;
      const fields = request.body ?? {};
      if (!knownObject(type, reply) || badField(type, fields, reply)) return reply;
      const missing = (REQUIRED[type] ?? []).filter(
        (field) => fields[field] === undefined || fields[field] === null || fields[field] === '',
      );
      if (missing.length > 0) {
        return reply
          .code(400)
          .send(
            salesforceError(
              'REQUIRED_FIELD_MISSING',
              `Required fields are missing: [${missing.join(', ')}]`,
              missing,
            ),
          );
      }
      const record = create(type, fields);
      return reply.code(201).send({ id: record.Id, success: true, errors: [] });
    },
  );

  app.patch<{ Params: { type: string; id: string }; Body: Record<string, unknown> }>(
    `${base}/sobjects/:type/:id`,
    async (request, reply) => {
      if (!authorized(request, reply)) return reply;
      const { type, id } = request.params;
      const fields = request.body ?? {};
      if (!knownObject(type, reply) || badField(type, fields, reply)) return reply;
      const record = recordsOf(type).find(
        (candidate) => candidate.Id === id || candidate.Id.slice(0, 15) === id,
      );
      if (!record)
        return reply.code(404).send(salesforceError('NOT_FOUND', 'The requested resource does not exist'));
      Object.assign(record, fields, { LastModifiedDate: sfDate(new Date()) });
      return reply.code(204).send();
    },
  );

  app.patch<{ Params: { type: string; field: string; value: string }; Body: Record<string, unknown> }>(
    `${base}/sobjects/:type/:field/:value`,
    async (request, reply) => {
      if (!authorized(request, reply)) return reply;
      const { type, field, value } = request.params;
      const fields = request.body ?? {};
      if (!knownObject(type, reply) || badField(type, fields, reply)) return reply;
      if (field !== 'ERP_Id__c') {
        return reply
          .code(404)
          .send(
            salesforceError(
              'NOT_FOUND',
              `Provided external ID field does not exist or is not accessible: ${field}`,
            ),
          );
      }
      const matches = recordsOf(type).filter((candidate) => candidate[field] === value);
      if (matches.length > 1) {
        return reply
          .code(300)
          .send([`${base}/sobjects/${type}/${matches[0]?.Id}`, `${base}/sobjects/${type}/${matches[1]?.Id}`]);
      }
      const [existing] = matches;
      if (existing) {
        Object.assign(existing, fields);
        return reply.code(200).send({ id: existing.Id, success: true, errors: [], created: false });
      }
      const record = create(type, { ...fields, [field]: value });
      return reply.code(201).send({ id: record.Id, success: true, errors: [], created: true });
    },
  );

  const pageOf = (locator: string, offset: number) => {
    const cursor = cursors.get(locator);
    if (!cursor) return undefined;
    const records = cursor.records.slice(offset, offset + batchSize);
    const done = offset + batchSize >= cursor.records.length;
    return {
      totalSize: cursor.totalSize,
      done,
      records,
      ...(done ? {} : { nextRecordsUrl: `${base}/query/${locator}-${offset + batchSize}` }),
    };
  };

  app.get<{ Querystring: { q?: string } }>(`${base}/query`, async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const soql = request.query.q ?? '';
    let parsed: ReturnType<typeof parseSoql>;
    try {
      parsed = parseSoql(soql);
    } catch (error) {
      if (!(error instanceof SoqlSyntaxError)) throw error;
      return reply
        .code(400)
        .send(
          salesforceError(
            'MALFORMED_QUERY',
            `${soql.slice(0, 80)}\n^\nERROR at Row:1:Column:1\n${error.message}`,
          ),
        );
    }
    if (!FIELDS[parsed.from]) {
      return reply
        .code(400)
        .send(salesforceError('INVALID_TYPE', `sObject type '${parsed.from}' is not supported.`));
    }
    const known = [...SYSTEM, ...(FIELDS[parsed.from] ?? [])];
    const unknown = [...parsed.fields, ...parsed.where.map((condition) => condition.field)].find(
      (field) => !known.includes(field),
    );
    if (unknown)
      return reply
        .code(400)
        .send(salesforceError('INVALID_FIELD', `No such column '${unknown}' on entity '${parsed.from}'.`));
    let matched = recordsOf(parsed.from).filter((record) => matchesWhere(record, parsed.where));
    if (parsed.orderBy) {
      const { field, descending } = parsed.orderBy;
      matched = [...matched].sort((a, b) => {
        const order = String(a[field] ?? '').localeCompare(String(b[field] ?? ''));
        return descending ? -order : order;
      });
    }
    if (parsed.limit !== undefined) matched = matched.slice(0, parsed.limit);
    const records = matched.map((record) => ({
      attributes: { type: parsed.from, url: `${base}/sobjects/${parsed.from}/${record.Id}` },
      ...Object.fromEntries(parsed.fields.map((field) => [field, record[field] ?? null])),
    }));
    const locator = `01g5e${randomBytes(6).toString('hex')}`;
    cursors.set(locator, { records, totalSize: records.length });
    return pageOf(locator, 0);
  });

  app.get<{ Params: { locator: string } }>(`${base}/query/:locator`, async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const match = /^(.+)-(\d+)$/.exec(request.params.locator);
    const page = match ? pageOf(match[1] ?? '', Number(match[2])) : undefined;
    return page ?? reply.code(400).send(salesforceError('INVALID_QUERY_LOCATOR', 'invalid query locator'));
  });

  app.get(`${base}/limits`, async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    return {
      DailyApiRequests: { Max: 100_000, Remaining: 99_990 },
      DailyBulkApiBatches: { Max: 15_000, Remaining: 15_000 },
    };
  });

  app.post<{ Body: Record<string, string> }>('/services/oauth2/token', async (request, reply) => {
    const form = request.body ?? {};
    if (form.client_id !== oauth.clientId || form.client_secret !== oauth.clientSecret) {
      return reply
        .code(400)
        .send({ error: 'invalid_client_id', error_description: 'client identifier invalid' });
    }
    if (form.grant_type !== 'refresh_token' || form.refresh_token !== oauth.refreshToken) {
      return reply
        .code(400)
        .send({ error: 'invalid_grant', error_description: 'expired access/refresh token' });
    }
    accessToken = newToken();
    return {
      access_token: accessToken,
      signature: randomBytes(16).toString('base64'),
      scope: 'refresh_token api',
      instance_url: origin,
      id: `${origin}/id/00D5e000000AbCdEAK/0055e000001XyZaAAK`,
      token_type: 'Bearer',
      issued_at: String(Date.now()),
    };
  });

  origin = await listenLocal(app);
  return {
    url: `${origin}${base}`,
    origin,
    get accessToken() {
      return accessToken;
    },
    oauth,
    requests,
    records: (sobject) => recordsOf(sobject),
    seed: (sobject, count, fields = (index) => ({ LastName: `Seed ${index}`, Company: 'Acme' }), createdAt) =>
      Array.from({ length: count }, (_, index) => create(sobject, fields(index), createdAt)),
    setBatchSize(size) {
      batchSize = size;
    },
    revoke() {
      accessToken = newToken();
    },
    fail: (route, failure) => failures.add(route, failure),
    close: () => app.close(),
  };
}
