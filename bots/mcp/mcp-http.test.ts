import { request as httpRequest } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { createTestHttpServer, userWithToken } from '../testing/http-server.ts';
import { createScriptedConversation } from '../testing/scripted-conversation.ts';
import { registerMcpHttp } from './register-mcp-http.ts';

const TOKEN = 'mcp-token-0123456789abcdef';
/** A per-user API token (minted in beforeAll): another identity than the shared token's. */
let OTHER = '';

describe('MCP over Streamable HTTP', () => {
  let app: FastifyInstance;
  let db: TestDatabase;
  let base: string;
  const conversation = createScriptedConversation();

  beforeAll(async () => {
    db = await createTestDatabase();
    OTHER = await userWithToken(db.sql, 'mia', 'builder');
    app = createTestHttpServer(db.sql, db.url, TOKEN);
    await registerMcpHttp(app, {
      conversation,
      allowedHosts: () => [new URL(base).host],
      allowedOrigins: () => [base],
    });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  const connect = async (token: string) => {
    const client = new Client({ name: 'test', version: '1' });
    const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    });
    await client.connect(transport);
    return { client, transport };
  };

  it('a connect link is handed to the person in the chat answer, with what to do with it', async () => {
    const { client } = await connect(TOKEN);
    const chat = await client.callTool({ name: 'chat', arguments: { message: 'connect my crm and post' } });
    const chatText = (chat.content as Array<{ text: string }>)[0]?.text ?? '';
    expect(chatText).toContain('Connect the credential "crm" (bearer)');
    expect(chatText).toContain(
      'Give the person this link to open in their browser: https://vmesh.example/connect/SCRIPTEDLINKTOKEN0123456789',
    );
    await client.close();
  });

  it('lists chat and approve_proposal, chats, and approves', async () => {
    const { client } = await connect(TOKEN);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['chat', 'approve_proposal']));
    const chat = await client.callTool({ name: 'chat', arguments: { message: 'post bugs to #triage' } });
    const chatText = (chat.content as Array<{ text: string }>)[0]?.text ?? '';
    expect(chatText).toContain('Proposal p');
    const proposalId = /Proposal (\S+) /.exec(chatText)?.[1];
    const approved = await client.callTool({ name: 'approve_proposal', arguments: { proposalId } });
    expect(approved.isError).toBe(false);
    expect(conversation.decisions.at(-1)).toMatchObject({
      proposalId,
      decision: 'approve',
      actor: { platform: 'mcp' },
    });
    await client.close();
  });

  const initialize = (headers: Record<string, string>) =>
    fetch(`${base}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...headers,
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'raw', version: '1' },
        },
      }),
    });

  it('refuses a missing token (401) and a foreign Origin or Host (403)', async () => {
    expect((await initialize({})).status).toBe(401);
    // A well-formed per-user token that does not exist (or was revoked) is no token at all.
    expect(
      (await initialize({ authorization: `Bearer vmt_tok_AAAAAAAAAAAA_${'A'.repeat(43)}` })).status,
    ).toBe(401);
    expect(
      (await initialize({ authorization: `Bearer ${TOKEN}`, origin: 'https://evil.example' })).status,
    ).toBe(403);
    // fetch may not set Host, so this one goes through node:http as a rebinding page's request would arrive.
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const url = new URL(`${base}/mcp`);
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: '/mcp',
          method: 'POST',
          headers: {
            host: 'evil.example',
            authorization: `Bearer ${TOKEN}`,
            'content-type': 'application/json',
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode);
        },
      );
      req.on('error', reject);
      req.end('{}');
    });
    expect(status).toBe(403);
    expect((await initialize({ authorization: `Bearer ${TOKEN}`, origin: base })).status).toBe(200);
  });

  it("refuses another token's session id and unknown ones", async () => {
    const { client, transport } = await connect(TOKEN);
    const sessionId = transport.sessionId ?? '';
    expect(sessionId).not.toBe('');
    const list = (token: string, session: string) =>
      fetch(`${base}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          authorization: `Bearer ${token}`,
          'mcp-session-id': session,
          'mcp-protocol-version': '2025-06-18',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
      });
    expect((await list(OTHER, sessionId)).status).toBe(404);
    expect((await list(TOKEN, 'not-a-session')).status).toBe(404);
    expect((await list(TOKEN, sessionId)).status).toBe(200);
    // The per-user token opens its own session, which the shared token cannot use either.
    const other = await connect(OTHER);
    expect((await list(TOKEN, other.transport.sessionId ?? '')).status).toBe(404);
    expect((await list(OTHER, other.transport.sessionId ?? '')).status).toBe(200);
    await other.client.close();
    await client.close();
  });
});
