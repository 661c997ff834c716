import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ConnectorError } from '../sdk/connector-error.ts';
import type { ConnectorDefinition } from '../sdk/define.ts';
import { createSafeFetch } from '../sdk/safe-fetch.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { type PetstoreFake, startPetstoreFake } from './fake-server.ts';
import { helpdeskSpec } from './fixtures/helpdesk-spec.ts';
import { type ImportedOpenApiConnector, importOpenApi } from './import-openapi.ts';
import { buildRequest } from './operation-action.ts';
import { parseSpecText } from './parse-spec-text.ts';

const PETSTORE_OPERATIONS = [
  'updatePet',
  'addPet',
  'findPetsByStatus',
  'findPetsByTags',
  'getPetById',
  'updatePetWithForm',
  'deletePet',
  'uploadFile',
  'getInventory',
  'placeOrder',
  'getOrderById',
  'deleteOrder',
  'createUser',
  'createUsersWithListInput',
  'loginUser',
  'logoutUser',
  'getUserByName',
  'updateUser',
  'deleteUser',
];

let petstoreSpec: unknown;
let fake: PetstoreFake;
let petstore: ImportedOpenApiConnector;
const env = createTestEnvironment();

beforeAll(async () => {
  petstoreSpec = JSON.parse(await readFile(new URL('./fixtures/petstore3.json', import.meta.url), 'utf8'));
  fake = await startPetstoreFake({ apiKey: 'special-key' });
  const result = importOpenApi(petstoreSpec, { name: 'petstore', baseUrl: fake.url });
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  petstore = result.value;
});
afterAll(async () => {
  await fake.close();
});

type JsonSchema = {
  type?: string;
  properties?: Record<string, { description?: string }>;
  required?: string[];
};

function expectContract(connector: ConnectorDefinition): void {
  const keys = connector.actions.map((action) => action.key);
  expect(new Set(keys).size).toBe(keys.length);
  for (const action of connector.actions) {
    expect(action.key).toMatch(/^[a-z][a-zA-Z0-9]{0,47}$/);
    expect(`${connector.id}_${action.key}`).toMatch(/^[a-zA-Z0-9_]{1,64}$/);
    expect(action.description.length).toBeLessThanOrEqual(300);
    const input = z.toJSONSchema(action.input, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    expect(input.type).toBe('object');
    for (const [name, property] of Object.entries(input.properties ?? {})) {
      expect(property.description, `${action.key}.${name} has no description`).toBeTruthy();
    }
  }
}

const call = (key: string, input: unknown, options: { credential?: unknown; runEnv?: typeof env } = {}) =>
  runAction(petstore.connector as ConnectorDefinition, key, input, {
    env: options.runEnv ?? env,
    credential: options.credential,
  }) as Promise<{ status: number; headers: Record<string, string>; body: unknown }>;
const callError = async (key: string, input: unknown, runEnv = env) =>
  (await runActionError(petstore.connector as ConnectorDefinition, key, input, {
    env: runEnv,
  })) as ConnectorError;

describe('importOpenApi on the Petstore 3 spec', () => {
  it('needs a base URL because the spec’s server is relative', () => {
    const result = importOpenApi(petstoreSpec, { name: 'petstore' });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error[0]?.message).toContain('/api/v3');
      expect(result.error[0]?.hint).toContain('--base-url');
    }
  });

  it('turns every operation into an action with honest effects and described parameters', () => {
    const { connector, warnings } = petstore;
    expect(connector.id).toBe('petstore');
    expect(connector.title).toBe('Swagger Petstore - OpenAPI 3.0');
    expect(connector.actions.map((action) => action.key)).toEqual(PETSTORE_OPERATIONS);
    expect(warnings).toEqual([]);
    expectContract(connector as ConnectorDefinition);
    const byKey = new Map(connector.actions.map((action) => [action.key, action]));
    expect(byKey.get('getPetById')).toMatchObject({
      effect: 'read',
      idempotent: true,
      title: 'Find pet by ID.',
    });
    expect(byKey.get('addPet')).toMatchObject({ effect: 'write', idempotent: false });
    expect(byKey.get('updatePet')).toMatchObject({ effect: 'write', idempotent: true });
    expect(byKey.get('deletePet')).toMatchObject({ effect: 'write', idempotent: true });
    const addPet = z.toJSONSchema(byKey.get('addPet')!.input, { io: 'input' }) as unknown as {
      required?: string[];
      properties: { body: { required?: string[]; properties?: Record<string, unknown> } };
    };
    expect(addPet.required).toEqual(['body']);
    expect(addPet.properties.body.required).toEqual(['name', 'photoUrls']);
    expect(connector.credential?.howToGet).toContain(
      '--type api-key-header` with {"name":"api_key","value":"…"}',
    );
  });

  it('writes a doc section per operation with parameters, an example and errors', () => {
    expect(docSections(petstore.markdown)).toEqual(PETSTORE_OPERATIONS);
    const section = petstore.markdown.split('## getPetById')[1]?.split('\n## ')[0] ?? '';
    expect(section).toContain('`GET /pet/{petId}`');
    expect(section).toContain('`petId` (path, integer (int64), required): ID of pet to return');
    expect(section).toContain('"uses": "petstore.getPetById"');
    expect(section).toContain('HTTP 404: Pet not found');
    expect(petstore.docs).toHaveLength(19);
    expect(petstore.docs.find((doc) => doc.key === 'findPetsByStatus')).toMatchObject({
      method: 'get',
      path: '/pet/findByStatus',
      summary: 'Finds Pets by status.',
      tags: ['pet'],
    });
  });
});

describe('an imported Petstore action against a local server', () => {
  it('creates, reads, finds, updates and deletes a pet', async () => {
    const created = await call('addPet', {
      body: {
        name: 'doggie',
        photoUrls: ['https://img.example/d.png'],
        status: 'available',
        tags: [{ name: 'good' }],
      },
    });
    expect(created.status).toBe(200);
    const id = (created.body as { id: number }).id;
    expect(fake.requests.at(-1)?.headers['content-type']).toBe('application/json');

    const read = await call('getPetById', { petId: id });
    expect(read.body).toMatchObject({ id, name: 'doggie' });
    expect(fake.requests.at(-1)?.path).toBe(`/api/v3/pet/${id}`);

    const byStatus = await call('findPetsByStatus', { status: 'available' });
    expect((byStatus.body as unknown[]).length).toBe(1);
    const byTags = await call('findPetsByTags', { tags: ['good', 'nice'] });
    expect((byTags.body as unknown[]).length).toBe(1);
    expect(fake.requests.at(-1)?.query).toEqual({ tags: ['good', 'nice'] });

    const renamed = await call('updatePetWithForm', { petId: id, name: 'rex', status: 'sold' });
    expect(renamed.body).toMatchObject({ name: 'rex', status: 'sold' });

    const inventory = await call(
      'getInventory',
      {},
      { credential: { scheme: 'bearer', token: 'special-key' } },
    );
    expect(inventory.body).toEqual({ sold: 1 });

    const deleted = await call('deletePet', { petId: id, api_key: 'special-key' });
    expect(deleted.status).toBe(200);
    expect(fake.requests.at(-1)?.headers.api_key).toBe('special-key');
    expect(fake.pets.has(id)).toBe(false);
  });

  it('checks parameters against the spec’s schemas before sending', async () => {
    const before = fake.requests.length;
    const wrongType = await callError('getPetById', { petId: 'abc' });
    expect(wrongType.code).toBe('E_PARAMS');
    const missing = await callError('addPet', { body: { photoUrls: [] } });
    expect(missing.code).toBe('E_PARAMS');
    expect(missing.message).toContain('body.name');
    const badEnum = await callError('findPetsByStatus', { status: 'lost' });
    expect(badEnum.code).toBe('E_PARAMS');
    const unknown = await callError('getPetById', { petId: 1, extra: true });
    expect(unknown.code).toBe('E_PARAMS');
    expect(fake.requests.length).toBe(before);
  });

  it('maps 404 to a non-retryable error and 429/503 to retryable ones', async () => {
    const notFound = await callError('getPetById', { petId: 999_999 });
    expect(notFound.code).toBe('E_NOT_FOUND');
    expect(notFound.retryable).toBe(false);
    expect(notFound.message).toContain('Pet not found');
    fake.failNext('GET /pet/{petId}', {
      status: 429,
      headers: { 'retry-after': '12' },
      body: { message: 'slow down' },
    });
    const limited = await callError('getPetById', { petId: 1 });
    expect(limited.code).toBe('E_RATE_LIMITED');
    expect(limited.retryable).toBe(true);
    expect(limited.retryAfterMs).toBe(12_000);
    fake.failNext('GET /pet/{petId}', { status: 503, body: { message: 'maintenance' } });
    const down = await callError('getPetById', { petId: 1 });
    expect(down.retryable).toBe(true);
  });

  it('sends through ctx.env.fetch: the guarded fetch blocks a loopback API unless allowed', async () => {
    const blocked = await callError('getInventory', {}, { ...env, fetch: createSafeFetch() });
    expect(blocked.code).toBe('E_BLOCKED_DESTINATION');
    const allowed = await call(
      'findPetsByStatus',
      { status: 'pending' },
      {
        runEnv: { ...env, fetch: createSafeFetch({ allowHosts: ['127.0.0.1'] }) },
      },
    );
    expect(allowed.status).toBe(200);
  });

  it('env.baseUrls overrides the stored base URL', async () => {
    const other = await startPetstoreFake();
    try {
      const out = await call(
        'findPetsByStatus',
        { status: 'available' },
        { runEnv: { ...env, baseUrls: { petstore: other.url } } },
      );
      expect(out.body).toEqual([]);
      expect(other.requests).toHaveLength(1);
    } finally {
      await other.close();
    }
  });
});

describe('importOpenApi on a large spec', () => {
  it('imports 100+ operations with refs, composition, 3.1 nullables, server variables and warnings', () => {
    const started = performance.now();
    const result = importOpenApi(helpdeskSpec(), { name: 'helpdesk' });
    const elapsedMs = performance.now() - started;
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { connector, operations, warnings, baseUrl } = result.value;
    console.log(JSON.stringify({ helpdeskOperations: operations.length, importMs: Math.round(elapsedMs) }));
    expect(operations.length).toBeGreaterThanOrEqual(130);
    expect(baseUrl).toBe('https://demo.acme-helpdesk.example/api/v2');
    expectContract(connector as ConnectorDefinition);
    expect(docSections(result.value.markdown)).toEqual(operations.map((operation) => operation.key));
    // Without an operationId the key comes from the method and path.
    expect(operations.map((operation) => operation.key)).toEqual(
      expect.arrayContaining([
        'listTickets',
        'createTicket',
        'putTicketsById',
        'getTicketsByParentIdAttachmentsByAttachmentId',
      ]),
    );
    expect(warnings.filter((warning) => warning.includes('cookie'))).toHaveLength(3);

    const create = connector.actions.find((action) => action.key === 'createTicket')!;
    expect(
      create.input.safeParse({ body: { name: 'Printer on fire', description: null, priority: 5 } }).success,
    ).toBe(true);
    expect(create.input.safeParse({ body: { name: 'x', priority: 9 } }).success).toBe(false);
    expect(create.input.safeParse({ body: { name: 'x', status: 'deleted' } }).success).toBe(false);
    const contact = connector.actions.find((action) => action.key === 'createContact')!;
    expect(
      contact.input.safeParse({ body: { name: 'Ana', channel: { kind: 'sms', number: '+4912345678' } } })
        .success,
    ).toBe(true);
    expect(
      contact.input.safeParse({ body: { name: 'Ana', channel: { kind: 'sms', number: 'x' } } }).success,
    ).toBe(false);

    const list = operations.find((operation) => operation.key === 'listTickets')!;
    const { url } = buildRequest(
      list,
      { filter: { status: 'active' }, limit: 10, sort: '-created_at' },
      { baseUrl },
    );
    expect(url.toString()).toBe(
      'https://demo.acme-helpdesk.example/api/v2/tickets?limit=10&sort=-created_at&filter%5Bstatus%5D=active',
    );
    const update = operations.find((operation) => operation.key === 'updateTicket')!;
    expect(update.body).toMatchObject({
      kind: 'json',
      mediaType: 'application/merge-patch+json',
      required: true,
    });
    const createOp = operations.find((operation) => operation.key === 'createTicket')!;
    expect(createOp.parameters.map((parameter) => [parameter.key, parameter.in])).toEqual([
      ['Idempotency-Key', 'header'],
    ]);
  });
});

describe('importOpenApi refusals', () => {
  it('refuses bad names, Swagger 2.0, non-OpenAPI input and empty specs with a fix', () => {
    const badName = importOpenApi(petstoreSpec, { name: 'Pet Store', baseUrl: 'https://x.example' });
    expect(!badName.ok && badName.error[0]?.hint).toContain('lower-case');
    const swagger = importOpenApi({ swagger: '2.0', info: {}, paths: {} }, { name: 'old' });
    expect(!swagger.ok && swagger.error[0]?.message).toContain('Swagger 2.0');
    const junk = importOpenApi({ hello: 'world' }, { name: 'junk' });
    expect(junk.ok).toBe(false);
    const empty = importOpenApi(
      {
        openapi: '3.0.0',
        info: { title: 'E', version: '1' },
        paths: {},
        servers: [{ url: 'https://e.example' }],
      },
      { name: 'empty' },
    );
    expect(!empty.ok && empty.error[0]?.message).toContain('no operations');
  });

  it('reads YAML as well as JSON', () => {
    const yaml =
      'openapi: 3.0.3\ninfo:\n  title: Tiny\n  version: 1.0.0\nservers:\n  - url: https://tiny.example\npaths:\n  /ping:\n    get:\n      operationId: ping\n      summary: Ping the service\n      responses:\n        "200":\n          description: pong\n';
    const parsed = parseSpecText(yaml);
    expect(parsed.ok).toBe(true);
    const result = importOpenApi(parsed.ok ? parsed.value : undefined, { name: 'tiny' });
    expect(result.ok && result.value.connector.actions.map((action) => action.key)).toEqual(['ping']);
  });
});
