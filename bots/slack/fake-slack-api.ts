import Fastify from 'fastify';

export type FakeSlackCall = { method: string; args: Record<string, unknown> };

/**
 * A local stand-in for Slack's Web API (`POST /api/<method>`, form or JSON bodies, `{ ok }` answers) with the
 * methods the bot uses: auth.test, chat.postMessage, chat.update, and apps.connections.open for Socket Mode. Records each call with decoded arguments.
 */
export async function startFakeSlackApi(token = 'xoxb-test-token', options: { socketModeUrl?: string } = {}) {
  const calls: FakeSlackCall[] = [];
  let counter = 0;
  const app = Fastify();
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    },
  );
  app.post('/api/:method', async (request) => {
    const { method } = request.params as { method: string };
    const raw = (request.body ?? {}) as Record<string, unknown>;
    const args = Object.fromEntries(
      Object.entries(raw).map(([key, value]) => {
        if (typeof value === 'string' && /^[[{]/.test(value)) {
          try {
            return [key, JSON.parse(value)];
          } catch {}
        }
        return [key, value];
      }),
    );
    if (request.headers.authorization !== `Bearer ${token}`) return { ok: false, error: 'invalid_auth' };
    calls.push({ method, args });
    if (method === 'auth.test') return { ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T1' };
    if (method === 'chat.postMessage') {
      counter += 1;
      return {
        ok: true,
        channel: args.channel,
        ts: `1700000000.${String(counter).padStart(6, '0')}`,
        message: args,
      };
    }
    if (method === 'chat.update') return { ok: true, channel: args.channel, ts: args.ts };
    // Socket Mode: the app-level token opens a WebSocket URL (wss://… at Slack; a local ws:// server here).
    if (method === 'apps.connections.open' && options.socketModeUrl)
      return { ok: true, url: options.socketModeUrl };
    return { ok: false, error: 'unknown_method' };
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    apiUrl: `${url}/api/`,
    token,
    calls,
    /** Calls other than auth.test, in order. */
    messages: () => calls.filter((call) => call.method !== 'auth.test'),
    close: () => app.close(),
  };
}
export type FakeSlackApi = Awaited<ReturnType<typeof startFakeSlackApi>>;
