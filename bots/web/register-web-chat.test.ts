import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { createTestHttpServer, userWithToken } from '../testing/http-server.ts';
import { createScriptedConversation } from '../testing/scripted-conversation.ts';
import { registerWebChat } from './register-web-chat.ts';

const TOKEN = 'web-test-token-0123456789';

describe('registerWebChat', () => {
  let app: FastifyInstance;
  let db: TestDatabase;
  const conversation = createScriptedConversation();
  beforeAll(async () => {
    db = await createTestDatabase();
    app = createTestHttpServer(db.sql, db.url, TOKEN);
    await registerWebChat(app, { conversation });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });
  const auth = { authorization: `Bearer ${TOKEN}` };

  it('serves the page and its bundle', async () => {
    const page = await app.inject({ url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('/assets/main.js');
    const script = await app.inject({ url: '/assets/main.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toContain('javascript');
    expect((await app.inject({ url: '/assets/..%2Fpackage.json' })).statusCode).toBe(404);
  });

  it('refuses API calls without the token', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/chat/api/messages',
      payload: { threadKey: 'abcdefgh', text: 'hi' },
    });
    expect(response.statusCode).toBe(401);
  });

  it("accepts a person's own API token; refuses it once revoked", async () => {
    const token = await userWithToken(db.sql, 'wes', 'viewer');
    const get = (authorization: string) =>
      app.inject({ url: '/chat/api/proposals', headers: { authorization } });
    expect((await get(`Bearer ${token}`)).statusCode).toBe(200);
    await db.sql`update api_tokens set revoked_at = now()`;
    expect((await get(`Bearer ${token}`)).statusCode).toBe(401);
    expect((await get('Bearer vmt_tok_unknown')).statusCode).toBe(401);
  });

  it('streams a turn as server-sent events', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/chat/api/messages',
      headers: auth,
      payload: { threadKey: 'abcdefgh12', text: 'post bugs to slack' },
    });
    expect(response.headers['content-type']).toContain('text/event-stream');
    const events = response.body
      .split('\n\n')
      .filter(Boolean)
      .map((block) => block.split('\n')[0]);
    expect(events).toContain('event: delta');
    expect(events.filter((event) => event === 'event: reply')).toHaveLength(2);
    expect(events.at(-1)).toBe('event: done');
    expect(conversation.turns.at(-1)).toMatchObject({
      threadKey: 'web:abcdefgh12',
      actor: { platform: 'web' },
    });
  });

  it('rejects malformed bodies with a readable 400', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/chat/api/messages',
      headers: auth,
      payload: { threadKey: 'x', text: '' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toContain('threadKey');
  });

  it('passes decisions to the service', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/chat/api/decisions',
      headers: auth,
      payload: { proposalId: 'p1', decision: 'approve' },
    });
    expect(response.json().replies[0]).toMatchObject({
      type: 'text',
      text: expect.stringContaining('is active'),
    });
  });
});
