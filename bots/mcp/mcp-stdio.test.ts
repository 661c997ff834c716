import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ScriptedModelServer,
  startScriptedModelServer,
} from '../../agent/testing/scripted-model-server.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('`vmesh mcp` over stdio (real CLI process, real agent, scripted model)', () => {
  let db: TestDatabase;
  let model: ScriptedModelServer;
  let client: Client;

  beforeAll(async () => {
    db = await createTestDatabase();
    model = await startScriptedModelServer();
    client = new Client({ name: 'stdio-test', version: '1' });
    const env = Object.fromEntries(
      Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: ['bin/vmesh.mjs', 'mcp'],
        cwd: ROOT,
        env: {
          ...env,
          DATABASE_URL: db.url,
          VMESH_MODEL: 'openai:gpt-test',
          OPENAI_BASE_URL: model.openaiBaseUrl,
        },
        stderr: 'pipe',
      }),
    );
  }, 60_000);
  afterAll(async () => {
    await client?.close();
    await model?.close();
    await db?.drop();
  });

  it('lists the tools and answers a chat turn', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['chat', 'approve_proposal']));
    model.setScript([{ text: 'Hello over stdio.' }]);
    const result = await client.callTool({ name: 'chat', arguments: { message: 'hi' } });
    expect((result.content as Array<{ text: string }>)[0]?.text).toBe('Hello over stdio.');
    expect(model.requests.at(-1)?.normalized.lastUserText).toBe('hi');
  });
});
