import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendMessages, findConversation } from '../../agent/conversation-store.ts';
import {
  createConversationService,
  createOpenAIProvider,
  createRuntimePorts,
  toBotConversationPort,
} from '../../agent/index.ts';
import {
  type ScriptedModelServer,
  startScriptedModelServer,
} from '../../agent/testing/scripted-model-server.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { loadSystemPrompt } from '../../prompts/load-prompts.ts';
import { createTestHttpServer, userWithToken } from '../testing/http-server.ts';
import { registerWebChat } from './register-web-chat.ts';

// The conversation's routes over real HTTP, on the real conversation service and Postgres: the history and its
// live stream are the participant's only, and a stream resumed with Last-Event-ID neither loses nor repeats.

const THREAD = 'streamthread0001';

type StreamEvent = { id: string | undefined; event: string; data: unknown };

/** Reads SSE events until `count` `entry` events arrived (or the timeout), then closes the connection. */
async function readEntries(
  url: string,
  headers: Record<string, string>,
  count: number,
  timeoutMs = 20_000,
): Promise<StreamEvent[]> {
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), timeoutMs);
  const events: StreamEvent[] = [];
  try {
    const response = await fetch(url, { headers, signal: stop.signal });
    expect(response.status).toBe(200);
    const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    while (reader && events.filter((event) => event.event === 'entry').length < count) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += value;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const field = (name: string) =>
          block
            .split('\n')
            .find((line) => line.startsWith(`${name}: `))
            ?.slice(name.length + 2);
        const event = field('event');
        if (event) events.push({ id: field('id'), event, data: JSON.parse(field('data') ?? 'null') });
      }
    }
  } catch (error) {
    if (!(error instanceof Error && error.name === 'AbortError')) throw error;
  } finally {
    clearTimeout(timer);
    stop.abort();
  }
  return events;
}

describe('the web conversation history and its stream', () => {
  let db: TestDatabase;
  let model: ScriptedModelServer;
  let app: FastifyInstance;
  let base: string;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    model = await startScriptedModelServer();
    const service = createConversationService({
      sql: db.sql,
      provider: createOpenAIProvider({ model: 'gpt-test', apiKey: 'k', baseURL: model.openaiBaseUrl }),
      system: loadSystemPrompt(),
      ...createRuntimePorts({ sql: db.sql, connectors: [] }),
    });
    app = createTestHttpServer(db.sql, db.url);
    await registerWebChat(app, { conversation: toBotConversationPort(service), chatPollMs: 100 });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    alice = await userWithToken(db.sql, 'alice', 'builder');
    bob = await userWithToken(db.sql, 'bob', 'builder');
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await model?.close();
    await db?.drop();
  });

  const as = (token: string) => ({ authorization: `Bearer ${token}` });

  it('keeps a thread to the person who took part in it', async () => {
    model.setScript([{ text: 'Hello Alice.' }]);
    const turn = await fetch(`${base}/chat/api/messages`, {
      method: 'POST',
      headers: { ...as(alice), 'content-type': 'application/json' },
      body: JSON.stringify({ threadKey: THREAD, text: 'Hi there' }),
    });
    expect(turn.status).toBe(200);
    await turn.text();
    // The history holds a message once it has settled (a second).
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const mine = await fetch(`${base}/chat/api/conversation?threadKey=${THREAD}`, { headers: as(alice) });
    const history = (await mine.json()) as { entries: { said: string | null; replies: unknown[] }[] };
    expect(history.entries.map((entry) => entry.said)).toEqual(['Hi there', null]);
    expect(history.entries[1]?.replies).toEqual([{ type: 'text', text: 'Hello Alice.' }]);

    for (const path of [
      `/chat/api/conversation?threadKey=${THREAD}`,
      `/chat/api/conversation/events?threadKey=${THREAD}`,
    ])
      expect((await fetch(`${base}${path}`, { headers: as(bob) })).status).toBe(403);
    const intrude = await fetch(`${base}/chat/api/messages`, {
      method: 'POST',
      headers: { ...as(bob), 'content-type': 'application/json' },
      body: JSON.stringify({ threadKey: THREAD, text: 'let me in' }),
    });
    expect(intrude.status).toBe(403);
    // A thread nobody used yet is empty, not an error.
    const fresh = await fetch(`${base}/chat/api/conversation?threadKey=neverusedthread1`, {
      headers: as(bob),
    });
    expect(await fresh.json()).toEqual({ entries: [], cursor: 0 });
  }, 60_000);

  it('streams what others add, and resumes after Last-Event-ID without losing or repeating', async () => {
    const [row] = await db.sql`select id from conversations where thread_key = ${`web:${THREAD}`}`;
    const conversation = await findConversation(db.sql, String(row?.id));
    if (!conversation) throw new Error('the first test made the conversation');
    const history = (await (
      await fetch(`${base}/chat/api/conversation?threadKey=${THREAD}`, { headers: as(alice) })
    ).json()) as { cursor: number };
    const add = (text: string, actor = 'system:self-healing') =>
      appendMessages(db.sql, conversation.id, [{ role: 'user', content: `(VelocityMesh note) ${text}` }], {
        actor,
        replies: [{ type: 'text', text }],
      });
    const url = `${base}/chat/api/conversation/events?threadKey=${THREAD}&after=${history.cursor}`;
    await add('one');
    // Alice's own turns are not streamed back to her (her page showed them as she sent them).
    const [alicesRow] =
      await db.sql`select actor from conversation_messages where actor like 'alice%' limit 1`;
    await add('her own', String(alicesRow?.actor));
    await add('two');
    const first = await readEntries(url, as(alice), 2);
    const texts = (events: StreamEvent[]) =>
      events
        .filter((event) => event.event === 'entry')
        .map((event) => (event.data as { replies: { text: string }[] }).replies[0]?.text);
    expect(texts(first)).toEqual(['one', 'two']);
    const lastId = first.filter((event) => event.event === 'entry').at(-1)?.id;
    expect(lastId).toMatch(/^\d+$/);

    // While disconnected, two more; the reconnect (as EventSource does it) gets exactly those.
    await add('three');
    await add('four');
    const resumed = await readEntries(url, { ...as(alice), 'last-event-id': String(lastId) }, 2);
    expect(texts(resumed)).toEqual(['three', 'four']);
    const ids = [...first, ...resumed]
      .filter((event) => event.event === 'entry')
      .map((event) => Number(event.id));
    expect(new Set(ids).size).toBe(4);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
  }, 60_000);
});
