import Fastify from 'fastify';

export type FakeDiscordCall = { method: string; url: string; body: unknown };

/** Discord's REST endpoints the bots use (interaction follow-ups, channel messages, gateway info), recorded. */
export async function startFakeDiscordApi(options: { gatewayUrl?: string } = {}) {
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
  // Bot messages (gateway replies) and the gateway's address, as discord.js asks for them at login.
  app.post('/api/v10/channels/:channel/messages', record);
  app.get('/api/v10/gateway/bot', async () => ({
    url: options.gatewayUrl ?? 'ws://127.0.0.1:1',
    shards: 1,
    session_start_limit: { total: 1000, remaining: 1000, reset_after: 0, max_concurrency: 1 },
  }));
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { apiUrl: `${url}/api`, calls, close: () => app.close() };
}
