import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findUser } from '../access/index.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { createEngineServices } from '../runtime/index.ts';
import { registerMcpHttp } from './mcp/register-mcp-http.ts';
import { createRuntimeWorkflowPort } from './runtime-workflow-port.ts';
import { createTestHttpServer, userWithToken } from './testing/http-server.ts';
import { createScriptedConversation } from './testing/scripted-conversation.ts';
import { registerWebChat } from './web/register-web-chat.ts';

// Per-user tokens on /mcp and /chat/api see and do what their person may: another builder's private workflow
// is neither a tool, a resource nor a page, and a viewer's MCP session cannot start runs.

const SHARED = 'front-ends-shared-0123456789';
let db: TestDatabase;
let app: FastifyInstance;
let base = '';
const tokens: Record<string, string> = {};
let privateId = '';
let sharedId = '';

const doc = (name: string) => ({
  schemaVersion: 1,
  name,
  trigger: { type: 'manual' },
  nodes: [{ id: 'a', uses: 'core.transform', with: { value: 1 } }],
  edges: [],
});

beforeAll(async () => {
  db = await createTestDatabase();
  for (const [name, role] of [
    ['alice', 'builder'],
    ['bob', 'builder'],
    ['vera', 'viewer'],
  ] as const)
    tokens[name] = await userWithToken(db.sql, name, role);
  const engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    { env: { VMESH_SECRET_KEY: Buffer.alloc(32, 5).toString('base64') }, connectors: [] },
  );
  const alice = await findUser(db.sql, 'alice');
  privateId = (
    await engine.workflows.create(
      doc('alice-private'),
      { ownerId: alice?.id, scope: 'private' },
      { activate: true },
    )
  ).id;
  sharedId = (await engine.workflows.create(doc('team-shared'), { ownerId: alice?.id }, { activate: true }))
    .id;
  app = createTestHttpServer(db.sql, db.url, SHARED);
  const workflows = createRuntimeWorkflowPort(db.sql);
  await registerWebChat(app, { conversation: createScriptedConversation(), workflows });
  await registerMcpHttp(app, {
    conversation: createScriptedConversation(),
    workflows,
    allowedHosts: () => [new URL(base).host],
    allowedOrigins: [],
  });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  // A finished MCP client may leave its standalone SSE stream open; nothing is waited for here.
  app?.server.closeAllConnections();
  await app?.close();
  await db?.drop();
});

async function mcpAs(token: string) {
  const client = new Client({ name: 'abuse', version: '1' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

const chatGet = async (token: string, path: string) => {
  const response = await fetch(`${base}/chat/api${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, text: await response.text() };
};

describe('per-user tokens on /mcp and /chat/api', () => {
  it("another builder's private workflow is no MCP tool or resource, and no web chat page", async () => {
    const bob = await mcpAs(tokens.bob!);
    const { tools } = await bob.listTools();
    const { resources } = await bob.listResources();
    expect(JSON.stringify(tools)).not.toContain('alice-private');
    expect(JSON.stringify(tools)).toContain('team-shared');
    expect(resources.map((resource) => resource.uri)).not.toContain(`vmesh://workflows/${privateId}`);
    await expect(bob.readResource({ uri: `vmesh://workflows/${privateId}` })).rejects.toThrow();
    await bob.close();

    const listed = await chatGet(tokens.bob!, '/workflows');
    expect(listed.status).toBe(200);
    expect(listed.text).not.toContain(privateId);
    expect(listed.text).toContain(sharedId);
    expect((await chatGet(tokens.bob!, `/workflows/${privateId}`)).status).toBe(404);

    const alice = await mcpAs(tokens.alice!);
    expect(JSON.stringify((await alice.listTools()).tools)).toContain('alice-private');
    await alice.close();
    expect((await chatGet(tokens.alice!, `/workflows/${privateId}`)).status).toBe(200);
    expect((await chatGet(SHARED, `/workflows/${privateId}`)).status).toBe(200);
  });

  it("a viewer's MCP session cannot start a workflow run", async () => {
    const vera = await mcpAs(tokens.vera!);
    // Without run.start the session is offered no workflow tools at all; calling one by name is an unknown tool.
    const tools = (await vera.listTools()).tools;
    expect(tools.find((candidate) => candidate.name.includes('team'))).toBeUndefined();
    const result = await vera
      .callTool({ name: 'team', arguments: { input: {} } })
      .catch((error: unknown) => ({
        isError: true,
        content: String(error),
      }));
    expect(result.isError).toBe(true);
    await vera.close();
    const [runs] = await db.sql`select count(*)::int as n from runs where workflow_id = ${sharedId}`;
    expect(runs?.n).toBe(0);
  });
});
