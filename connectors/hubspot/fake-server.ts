import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyReply } from 'fastify';
import { z } from 'zod';
import {
  FailureQueue,
  type InjectedFailure,
  listenLocal,
  type RecordedRequest,
  recordRequest,
  sendFailure,
} from '../testing/fake-server.ts';

type ObjectType = 'contacts' | 'companies' | 'deals' | 'notes';
export type FakeCrmObject = {
  id: string;
  type: ObjectType;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  associations: { toId: string; typeId: number }[];
};

export type HubspotFake = {
  /** Give as env.baseUrls.hubspot (https://api.hubapi.com's stand-in). */
  url: string;
  token: string;
  requests: RecordedRequest[];
  objects(type?: ObjectType): FakeCrmObject[];
  /** Adds records directly, created at `createdAt` (default now). */
  seed(type: ObjectType, properties: Record<string, string>[], createdAt?: string): FakeCrmObject[];
  allowToken(token: string): void;
  revoke(): void;
  /** Route keys: `POST /crm/v3/objects/{type}`, `PATCH …/{type}/:id`, `POST …/{type}/search`, `GET …/contacts`. */
  fail(route: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

export const hubspotError = (message: string, category: string, extra: Record<string, unknown> = {}) => ({
  status: 'error',
  message,
  correlationId: randomUUID(),
  category,
  ...extra,
});

/** A 429 as HubSpot answers it: the policy in the body, the window in X-HubSpot-RateLimit-* headers. */
export const HUBSPOT_RATE_LIMITED: InjectedFailure = {
  status: 429,
  headers: {
    'x-hubspot-ratelimit-max': '100',
    'x-hubspot-ratelimit-remaining': '0',
    'x-hubspot-ratelimit-interval-milliseconds': '10000',
    'x-hubspot-ratelimit-daily': '250000',
    'x-hubspot-ratelimit-daily-remaining': '240000',
  },
  body: {
    status: 'error',
    message: 'You have reached your ten_secondly_rolling limit.',
    errorType: 'RATE_LIMIT',
    correlationId: 'c033cdaa-2c40-4a64-ae48-b4cec88dad24',
    policyName: 'TEN_SECONDLY_ROLLING',
  },
};

const KNOWN: Record<ObjectType, string[]> = {
  contacts: ['email', 'firstname', 'lastname', 'phone', 'company', 'lifecyclestage', 'jobtitle', 'website'],
  companies: ['name', 'domain', 'industry', 'city', 'phone', 'numberofemployees'],
  deals: ['dealname', 'amount', 'pipeline', 'dealstage', 'closedate', 'hubspot_owner_id'],
  notes: ['hs_note_body', 'hs_timestamp'],
};
const DEFAULTS: Record<ObjectType, string[]> = {
  contacts: ['email', 'firstname', 'lastname', 'createdate', 'lastmodifieddate', 'hs_object_id'],
  companies: ['name', 'domain', 'createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  deals: [
    'dealname',
    'amount',
    'pipeline',
    'dealstage',
    'closedate',
    'createdate',
    'hs_lastmodifieddate',
    'hs_object_id',
  ],
  notes: ['hs_note_body', 'hs_timestamp', 'hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
};
/** The HubSpot-defined type ids a note may be associated with: to contacts, companies, deals. */
const NOTE_TYPES: Record<number, ObjectType> = { 202: 'contacts', 190: 'companies', 214: 'deals' };

const Properties = z.record(z.string(), z.string());
const CreateBody = z.object({
  properties: Properties,
  associations: z
    .array(
      z.object({
        to: z.object({ id: z.string() }),
        types: z
          .array(z.object({ associationCategory: z.string(), associationTypeId: z.number().int() }))
          .min(1),
      }),
    )
    .optional(),
});
const Filter = z.object({
  propertyName: z.string(),
  operator: z.string(),
  value: z.string().optional(),
  highValue: z.string().optional(),
  values: z.array(z.string()).optional(),
});
const SearchBody = z.object({
  filterGroups: z
    .array(z.object({ filters: z.array(Filter) }))
    .max(5)
    .default([]),
  sorts: z
    .array(z.object({ propertyName: z.string(), direction: z.enum(['ASCENDING', 'DESCENDING']) }))
    .optional(),
  query: z.string().optional(),
  properties: z.array(z.string()).optional(),
  limit: z.number().int().default(10),
  after: z.string().optional(),
});

const asNumber = (value: string | null | undefined) => {
  if (value === null || value === undefined) return Number.NaN;
  const iso = Date.parse(value);
  return /^\d{4}-\d{2}-\d{2}/.test(value) && Number.isFinite(iso) ? iso : Number(value);
};

function passes(object: FakeCrmObject, filter: z.infer<typeof Filter>): boolean {
  const value = object.properties[filter.propertyName] ?? null;
  const text = (value ?? '').toLowerCase();
  const wanted = (filter.value ?? '').toLowerCase();
  switch (filter.operator) {
    case 'EQ':
      return text === wanted;
    case 'NEQ':
      return text !== wanted;
    case 'GT':
      return asNumber(value) > asNumber(filter.value);
    case 'GTE':
      return asNumber(value) >= asNumber(filter.value);
    case 'LT':
      return asNumber(value) < asNumber(filter.value);
    case 'LTE':
      return asNumber(value) <= asNumber(filter.value);
    case 'CONTAINS_TOKEN':
      return (
        text.split(/[\s@.]+/).includes(wanted.replaceAll('*', '')) ||
        text.includes(wanted.replaceAll('*', ''))
      );
    case 'HAS_PROPERTY':
      return value !== null && value !== '';
    case 'NOT_HAS_PROPERTY':
      return value === null || value === '';
    case 'IN':
      return (filter.values ?? []).map((entry) => entry.toLowerCase()).includes(text);
    case 'BETWEEN':
      return asNumber(value) >= asNumber(filter.value) && asNumber(value) <= asNumber(filter.highValue);
    default:
      throw new Error(`operator ${filter.operator}`);
  }
}

/**
 * A local HubSpot CRM API v3 (https://developers.hubspot.com/docs/api-reference/crm-objects-v3): bearer
 * tokens; contacts, companies, deals and notes created (POST /crm/v3/objects/{type}, notes with HUBSPOT_DEFINED
 * associations 202/190/214), updated (PATCH …/{id}, contacts also by ?idProperty=email), searched (POST
 * …/{type}/search with filterGroups, query, sorts, properties, limit ≤ 200 and the `after` cursor of
 * paging.next); unknown properties are VALIDATION_ERROR, a second contact with one email a 409 CONFLICT, and
 * every failure HubSpot's `{ status: "error", message, correlationId, category }`.
 */
export async function startHubspotFake(): Promise<HubspotFake> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const requests: RecordedRequest[] = [];
  const failures = new FailureQueue();
  const objects: FakeCrmObject[] = [];
  const tokens = new Set(['pat-na1-11111111-2222-3333-4444-555555555555']);
  let token = [...tokens][0] ?? '';
  let nextId = 51;

  const view = (object: FakeCrmObject, wanted?: string[]) => {
    const names = [...new Set([...DEFAULTS[object.type], ...(wanted ?? [])])];
    return {
      id: object.id,
      properties: Object.fromEntries(names.map((name) => [name, object.properties[name] ?? null])),
      createdAt: object.createdAt,
      updatedAt: object.updatedAt,
      archived: object.archived,
    };
  };
  const create = (
    type: ObjectType,
    properties: Record<string, string>,
    createdAt = new Date().toISOString(),
  ) => {
    const id = String(nextId++);
    const object: FakeCrmObject = {
      id,
      type,
      properties: {
        ...properties,
        createdate: createdAt,
        hs_createdate: createdAt,
        lastmodifieddate: createdAt,
        hs_lastmodifieddate: createdAt,
        hs_object_id: id,
      },
      createdAt,
      updatedAt: createdAt,
      archived: false,
      associations: [],
    };
    objects.push(object);
    return object;
  };
  const invalid = (reply: FastifyReply, type: ObjectType, properties: Record<string, string>) => {
    const unknown = Object.keys(properties).filter((name) => !KNOWN[type].includes(name));
    if (unknown.length === 0) return false;
    const details = unknown.map((name) => ({
      isValid: false,
      message: `Property "${name}" does not exist`,
      error: 'PROPERTY_DOESNT_EXIST',
      name,
    }));
    void reply
      .code(400)
      .send(hubspotError(`Property values were not valid: ${JSON.stringify(details)}`, 'VALIDATION_ERROR'));
    return true;
  };
  const notFound = (reply: FastifyReply) =>
    reply.code(404).send(hubspotError('resource not found', 'OBJECT_NOT_FOUND'));

  app.addHook('preHandler', async (request, reply) => {
    requests.push(recordRequest(request));
    const path = (request.url.split('?')[0] ?? '').replace(/^(\/crm\/v3\/objects\/[a-z]+)\/\d+$/, '$1/:id');
    const failure = failures.take(`${request.method} ${path}`);
    if (failure) return sendFailure(reply, failure);
    const auth = request.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ') || !tokens.has(auth.slice(7))) {
      return reply
        .code(401)
        .send(
          hubspotError(
            'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
            'INVALID_AUTHENTICATION',
          ),
        );
    }
    reply.header('x-hubspot-ratelimit-max', '100');
    reply.header('x-hubspot-ratelimit-remaining', '99');
    reply.header('x-hubspot-ratelimit-interval-milliseconds', '10000');
  });

  type TypeParams = { type: string };
  const objectType = (raw: string): ObjectType | undefined =>
    raw === 'contacts' || raw === 'companies' || raw === 'deals' || raw === 'notes' ? raw : undefined;

  app.get<{ Params: TypeParams; Querystring: { limit?: string } }>(
    '/crm/v3/objects/:type',
    async (request, reply) => {
      const type = objectType(request.params.type);
      if (!type) return notFound(reply);
      const limit = Number(request.query.limit ?? 10);
      return {
        results: objects
          .filter((object) => object.type === type)
          .slice(0, limit)
          .map((object) => view(object)),
      };
    },
  );

  app.post<{ Params: TypeParams }>('/crm/v3/objects/:type', async (request, reply) => {
    const type = objectType(request.params.type);
    if (!type) return notFound(reply);
    const body = CreateBody.safeParse(request.body);
    if (!body.success)
      return reply.code(400).send(hubspotError('Invalid input JSON on line 1', 'VALIDATION_ERROR'));
    if (invalid(reply, type, body.data.properties)) return reply;
    const email = body.data.properties.email?.toLowerCase();
    const existing =
      type === 'contacts' && email
        ? objects.find(
            (object) => object.type === 'contacts' && object.properties.email?.toLowerCase() === email,
          )
        : undefined;
    if (existing) {
      return reply
        .code(409)
        .send(hubspotError(`Contact already exists. Existing ID: ${existing.id}`, 'CONFLICT'));
    }
    const associations: FakeCrmObject['associations'] = [];
    for (const association of body.data.associations ?? []) {
      for (const kind of association.types) {
        const target = NOTE_TYPES[kind.associationTypeId];
        const found = objects.find((object) => object.id === association.to.id && object.type === target);
        if (type !== 'notes' || kind.associationCategory !== 'HUBSPOT_DEFINED' || !target || !found) {
          return reply
            .code(400)
            .send(
              hubspotError(
                `One or more associations are invalid: ${association.to.id} (type ${kind.associationTypeId})`,
                'VALIDATION_ERROR',
                { subCategory: 'crm.associations.INVALID_ASSOCIATION' },
              ),
            );
        }
        associations.push({ toId: association.to.id, typeId: kind.associationTypeId });
      }
    }
    if (type === 'notes' && !body.data.properties.hs_timestamp) {
      return reply
        .code(400)
        .send(hubspotError('Property values were not valid: hs_timestamp is required', 'VALIDATION_ERROR'));
    }
    const object = create(type, body.data.properties);
    object.associations = associations;
    return reply.code(201).send(view(object));
  });

  app.patch<{ Params: TypeParams & { id: string }; Querystring: { idProperty?: string } }>(
    '/crm/v3/objects/:type/:id',
    async (request, reply) => {
      const type = objectType(request.params.type);
      if (!type) return notFound(reply);
      const byEmail = request.query.idProperty === 'email';
      const object = objects.find(
        (candidate) =>
          candidate.type === type &&
          (byEmail
            ? candidate.properties.email?.toLowerCase() === request.params.id.toLowerCase()
            : candidate.id === request.params.id),
      );
      if (!object) return notFound(reply);
      const body = z.object({ properties: Properties }).safeParse(request.body);
      if (!body.success)
        return reply.code(400).send(hubspotError('Invalid input JSON on line 1', 'VALIDATION_ERROR'));
      if (invalid(reply, type, body.data.properties)) return reply;
      object.properties = { ...object.properties, ...body.data.properties };
      object.updatedAt = new Date().toISOString();
      return view(object, Object.keys(body.data.properties));
    },
  );

  app.post<{ Params: TypeParams }>('/crm/v3/objects/:type/search', async (request, reply) => {
    const type = objectType(request.params.type);
    if (!type) return notFound(reply);
    const body = SearchBody.safeParse(request.body ?? {});
    if (!body.success)
      return reply.code(400).send(hubspotError('Invalid input JSON on line 1', 'VALIDATION_ERROR'));
    if (body.data.limit < 1 || body.data.limit > 200) {
      return reply.code(400).send(hubspotError('limit must be between 1 and 200', 'VALIDATION_ERROR'));
    }
    const known = [...KNOWN[type], ...DEFAULTS[type]];
    const unknownFilter = body.data.filterGroups
      .flatMap((group) => group.filters)
      .find((filter) => !known.includes(filter.propertyName));
    if (unknownFilter) {
      return reply
        .code(400)
        .send(
          hubspotError(
            `There was a problem with the request. Property ${unknownFilter.propertyName} does not exist`,
            'VALIDATION_ERROR',
          ),
        );
    }
    let found = objects.filter(
      (object) =>
        object.type === type &&
        !object.archived &&
        (body.data.filterGroups.length === 0 ||
          body.data.filterGroups.some((group) => group.filters.every((filter) => passes(object, filter)))),
    );
    if (body.data.query) {
      const words = body.data.query.toLowerCase();
      found = found.filter((object) =>
        Object.values(object.properties).some((value) => (value ?? '').toLowerCase().includes(words)),
      );
    }
    const sort = body.data.sorts?.[0];
    if (sort) {
      const direction = sort.direction === 'DESCENDING' ? -1 : 1;
      found.sort(
        (a, b) =>
          direction *
          (asNumber(a.properties[sort.propertyName]) - asNumber(b.properties[sort.propertyName]) ||
            Number(a.id) - Number(b.id)),
      );
    }
    const start = Number(body.data.after ?? 0);
    const page = found.slice(start, start + body.data.limit);
    const next = start + body.data.limit < found.length ? String(start + body.data.limit) : undefined;
    return {
      total: found.length,
      results: page.map((object) => view(object, body.data.properties)),
      ...(next ? { paging: { next: { after: next, link: `?after=${next}` } } } : {}),
    };
  });

  const url = await listenLocal(app);
  return {
    url,
    get token() {
      return token;
    },
    requests,
    objects: (type) => objects.filter((object) => !type || object.type === type),
    seed: (type, list, createdAt) => list.map((properties) => create(type, properties, createdAt)),
    allowToken: (extra) => tokens.add(extra),
    revoke() {
      tokens.delete(token);
      token = 'pat-na1-99999999-8888-7777-6666-555555555555';
      tokens.add(token);
    },
    fail: (route, failure) => failures.add(route, failure),
    close: () => app.close(),
  };
}
