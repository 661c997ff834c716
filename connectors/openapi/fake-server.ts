import Fastify, { type FastifyInstance } from 'fastify';
import {
  FailureQueue,
  type InjectedFailure,
  listenLocal,
  type RecordedRequest,
  recordRequest,
  sendFailure,
} from '../testing/fake-server.ts';

type Pet = {
  id: number;
  name: string;
  photoUrls: string[];
  status?: string;
  tags?: { id?: number; name?: string }[];
};

export type PetstoreFake = {
  /** Base URL of the API, http://127.0.0.1:PORT/api/v3 (the spec's relative server, made absolute). */
  url: string;
  requests: RecordedRequest[];
  pets: Map<number, Pet>;
  /** Route keys as `METHOD /path/{param}` (e.g. `GET /pet/{petId}`). */
  failNext(route: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

/** A small Petstore 3 server speaking the public petstore3 API's JSON (the subset the tests call). */
export async function startPetstoreFake(options: { apiKey?: string } = {}): Promise<PetstoreFake> {
  const app: FastifyInstance = Fastify({ logger: false });
  const requests: RecordedRequest[] = [];
  const failures = new FailureQueue();
  const pets = new Map<number, Pet>();
  let nextId = 100;

  app.addHook('onRequest', async (request, reply) => {
    requests.push(recordRequest(request));
    const route = `${request.method} ${(request.routeOptions.url ?? '').replace('/api/v3', '').replace(/:(\w+)/g, '{$1}')}`;
    const failure = failures.take(route);
    if (failure) return sendFailure(reply, failure);
    return undefined;
  });
  app.addHook('preHandler', async (request) => {
    requests[requests.length - 1] = recordRequest(request);
  });

  app.post('/api/v3/pet', async (request, reply) => {
    const body = request.body as Partial<Pet> | undefined;
    if (!body || typeof body.name !== 'string' || !Array.isArray(body.photoUrls)) {
      return reply
        .code(422)
        .send({ code: '422', message: 'Validation exception: name and photoUrls are required' });
    }
    const pet: Pet = { ...(body as Pet), id: typeof body.id === 'number' ? body.id : nextId++ };
    pets.set(pet.id, pet);
    return pet;
  });
  app.get('/api/v3/pet/findByStatus', async (request) => {
    const status = (request.query as { status?: string }).status ?? 'available';
    return [...pets.values()].filter((pet) => pet.status === status);
  });
  app.get('/api/v3/pet/findByTags', async (request) => {
    const raw = (request.query as { tags?: string | string[] }).tags ?? [];
    const tags = Array.isArray(raw) ? raw : [raw];
    return [...pets.values()].filter((pet) => pet.tags?.some((tag) => tags.includes(tag.name ?? '')));
  });
  app.get('/api/v3/pet/:petId', async (request, reply) => {
    const id = Number((request.params as { petId: string }).petId);
    if (!Number.isInteger(id)) return reply.code(400).send({ code: '400', message: 'Invalid ID supplied' });
    const pet = pets.get(id);
    return pet ?? reply.code(404).send({ code: '404', message: 'Pet not found' });
  });
  app.post('/api/v3/pet/:petId', async (request, reply) => {
    const pet = pets.get(Number((request.params as { petId: string }).petId));
    if (!pet) return reply.code(404).send({ code: '404', message: 'Pet not found' });
    const query = request.query as { name?: string; status?: string };
    if (query.name) pet.name = query.name;
    if (query.status) pet.status = query.status;
    return pet;
  });
  app.delete('/api/v3/pet/:petId', async (request, reply) => {
    const deleted = pets.delete(Number((request.params as { petId: string }).petId));
    return deleted
      ? reply.send('Pet deleted')
      : reply.code(400).send({ code: '400', message: 'Invalid pet value' });
  });
  app.get('/api/v3/store/inventory', async (request, reply) => {
    const bearer = request.headers.authorization?.replace(/^Bearer /, '');
    if (options.apiKey && request.headers.api_key !== options.apiKey && bearer !== options.apiKey) {
      return reply
        .code(401)
        .send({ code: '401', message: 'api_key header (or bearer token) missing or wrong' });
    }
    const counts: Record<string, number> = {};
    for (const pet of pets.values())
      counts[pet.status ?? 'unknown'] = (counts[pet.status ?? 'unknown'] ?? 0) + 1;
    return counts;
  });

  const base = await listenLocal(app);
  return {
    url: `${base}/api/v3`,
    requests,
    pets,
    failNext: (route, failure) => failures.add(route, failure),
    close: () => app.close(),
  };
}
