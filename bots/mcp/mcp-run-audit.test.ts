import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '../../access/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import type { EngineWorker } from '../../runtime/engine/worker.ts';
import { createEngineServices, type EngineServices } from '../../runtime/index.ts';
import { createRuntimeWorkflowPort } from '../runtime-workflow-port.ts';
import { createVmeshMcpServer } from './create-mcp-server.ts';

// A run started by an MCP client through a workflow tool is an audit entry naming the client, via 'mcp'.

let db: TestDatabase;
let engine: EngineServices;
let worker: EngineWorker;

beforeAll(async () => {
  db = await createTestDatabase();
  engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    { env: { VMESH_SECRET_KEY: Buffer.alloc(32, 6).toString('base64') }, connectors: [] },
  );
  worker = await engine.startWorker({ concurrency: 1 });
});
afterAll(async () => {
  await worker?.stop();
  await db.drop();
});

describe('MCP workflow tools', () => {
  it('record who started the run', async () => {
    await engine.workflows.create(
      {
        schemaVersion: 1,
        name: 'greet',
        trigger: { type: 'manual' },
        nodes: [{ id: 'hi', uses: 'core.transform', with: { value: 'hello' } }],
        edges: [],
      },
      undefined,
      { activate: true },
    );
    const server = await createVmeshMcpServer({
      conversation: {
        handleMessage: async () => [],
        decide: async () => [],
      },
      workflows: createRuntimeWorkflowPort(db.sql),
      agentTools: [],
      actor: { platform: 'mcp', id: 'tok_claude' },
      defaultThread: 't1',
    });
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 'test-client', version: '0.0.0' });
    await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);
    const tool = (await client.listTools()).tools.find(
      (candidate) => !['chat', 'approve_proposal', 'pending_proposals'].includes(candidate.name),
    );
    const result = await client.callTool({ name: String(tool?.name), arguments: { input: {} } });
    const body = JSON.parse((result.content as { text: string }[])[0]?.text ?? '{}') as { runId: string };
    const { entries } = await listAudit(db.sql, { subjectType: 'run', subjectId: body.runId });
    expect(entries).toEqual([
      expect.objectContaining({ action: 'run.started', actor: 'mcp:tok_claude', via: 'mcp' }),
    ]);
    await client.close();
  });
});
