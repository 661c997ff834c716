import Fastify from 'fastify';

export type FakeDiscordCall = { method: string; url: string; body: unknown };

/** Discord's REST webhook endpoints for interaction follow-ups (`/api/v10/webhooks/:app/:token[...]`), recorded. */
export async function startFakeDiscordApi() {
  const calls: FakeDiscordCall[] = [];
  const app = Fastify();
  let counter = 0;
  const record = async (request: { method: string; url: string; body: unknown }) => {
    calls.push({ method: request.method, url: request.url, body: request.body });
    counter += 1;
    return {
      id: String(1000 + counter),
      type: 0,
      content: (request.body as { content?: string }).content ?? '',
    };
  };
  app.post('/api/v10/webhooks/:app/:token', record);
  app.patch('/api/v10/webhooks/:app/:token/messages/:message', record);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { apiUrl: `${url}/api`, calls, close: () => app.close() };
}
