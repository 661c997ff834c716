import Fastify from 'fastify';
import {
  FailureQueue,
  type InjectedFailure,
  listenLocal,
  type RecordedRequest,
  recordRequest,
  sendFailure,
} from '../testing/fake-server.ts';

export type HttpFake = {
  url: string;
  requests: RecordedRequest[];
  /** Route keys are `METHOD /path`, e.g. `POST /echo`. */
  fail(route: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

/**
 * A local HTTP server for http.request tests: `/echo` answers with what it received, `/text` with
 * plain text, `/empty` with 204, `/hang` never answers (until the client gives up), and any route
 * can be made to fail with `fail()`.
 */
export async function startHttpFake(): Promise<HttpFake> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const requests: RecordedRequest[] = [];
  const failures = new FailureQueue();
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    },
  );
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.addHook('preHandler', async (request, reply) => {
    requests.push(recordRequest(request));
    const failure = failures.take(`${request.method} ${request.url.split('?')[0]}`);
    if (failure) return sendFailure(reply, failure);
  });
  app.all('/echo', async (request) => ({
    method: request.method,
    query: request.query,
    headers: request.headers,
    body: request.body ?? null,
  }));
  app.get('/text', async (_request, reply) => reply.type('text/plain').send('plain words'));
  app.get('/empty', async (_request, reply) => reply.code(204).send());
  app.get('/hang', (request) => new Promise((resolve) => request.raw.on('close', () => resolve(null))));
  const url = await listenLocal(app);
  return {
    url,
    requests,
    fail: (route, failure) => failures.add(route, failure),
    close: () => app.close(),
  };
}
