import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mcpConnector } from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { describeEffects } from '../../tools/proposal-effects.ts';
import { startRun } from '../engine/engine.ts';
import type { EngineWorker } from '../engine/worker.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { waitForRun } from '../store/run-store.ts';
import { createCatalog } from '../workflow/catalog.ts';

// A stdio MCP server is a program started on the worker host, outside the sandbox. Workflows may only name a
// server the operator listed in VMESH_MCP_STDIO_SERVERS, by a literal name: a document that gives the command,
// an unlisted name or a name made by an expression is refused when it is stored, and a stored workflow whose
// server is no longer listed is refused by the worker before anything starts. Through the real worker.

const fixture = fileURLToPath(new URL('../../connectors/mcp/fixtures/stdio-server.mjs', import.meta.url));
let db: TestDatabase;
let dir: string;
let marker: string;
/** Stores workflows: its operator lists `fixture` and `retired`. */
let author: EngineServices;
/** Runs them: its operator lists only `fixture`. */
let runner: EngineServices;
let worker: EngineWorker;

const document = (server: unknown, uses = 'mcp.callTool') => ({
  schemaVersion: 1,
  name: `mcp ${JSON.stringify(server).slice(0, 60)}`,
  trigger: { type: 'manual' },
  nodes: [
    {
      id: 'call',
      uses,
      retry: { maxAttempts: 1 },
      with: uses === 'mcp.callTool' ? { server, tool: 'add', arguments: { a: 20, b: 22 } } : { server },
    },
  ],
  edges: [],
});

async function refusal(server: unknown): Promise<string> {
  try {
    await author.workflows.create(document(server));
  } catch (error) {
    return JSON.stringify(error, Object.getOwnPropertyNames(error));
  }
  throw new Error(`expected ${JSON.stringify(server)} to be refused`);
}

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 6 });
  dir = mkdtempSync(join(tmpdir(), 'vmesh-stdio-'));
  marker = join(dir, 'started');
  const fixtureEntry = { command: process.execPath, args: [fixture] };
  // What `retired` would run: a program that leaves a file behind, so we can tell it never started.
  const retired = {
    command: process.execPath,
    args: ['-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')`],
  };
  const database = { sql: db.sql, url: db.url, kind: 'external' as const, close: async () => {} };
  const base = { VMESH_SECRET_KEY: Buffer.alloc(32, 3).toString('base64') };
  author = await createEngineServices(database, {
    env: { ...base, VMESH_MCP_STDIO_SERVERS: JSON.stringify({ fixture: fixtureEntry, retired }) },
    connectors: [mcpConnector],
  });
  runner = await createEngineServices(database, {
    env: { ...base, VMESH_MCP_STDIO_SERVERS: JSON.stringify({ fixture: fixtureEntry }) },
    connectors: [mcpConnector],
  });
  worker = await runner.startWorker({ concurrency: 2 });
});
afterAll(async () => {
  await worker?.stop();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('mcp stdio servers come only from the operator allow-list', () => {
  it('an allow-listed server, named literally, runs through the worker', async () => {
    const { id } = await runner.workflows.create(document({ transport: 'stdio', name: 'fixture' }));
    const { runId } = await startRun(db.sql, id, {});
    const view = await waitForRun(db.sql, runId, { timeoutMs: 20_000 });
    expect(view.status, JSON.stringify(view.steps[0]?.error)).toBe('succeeded');
    expect(view.steps[0]?.output).toMatchObject({ structuredContent: { sum: 42 } });
  });

  it('a command given in the document, an unlisted name and an expression are refused when stored', async () => {
    const direct = await refusal({ transport: 'stdio', command: process.execPath, args: ['-e', '1'] });
    expect(direct).toContain('E_MCP_STDIO_NOT_ALLOWED');
    expect(direct).toContain('Ask the operator to add the server to VMESH_MCP_STDIO_SERVERS');
    expect(direct).toContain('/nodes/0/with/server/command');
    const unlisted = await refusal({ transport: 'stdio', name: 'anything-else' });
    expect(unlisted).toContain('E_MCP_STDIO_NOT_ALLOWED');
    expect(unlisted).toContain('/nodes/0/with/server/name');
    for (const server of [
      { transport: 'stdio', name: '{{ trigger.server }}' },
      { transport: '{{ trigger.transport }}', name: 'fixture' },
      '{{ trigger.server }}',
    ]) {
      expect(await refusal(server)).toContain('E_MCP_SERVER_LITERAL');
    }
    const stored = await db.sql`select count(*)::int as n from workflows where name like 'mcp %'`;
    expect(stored[0]?.n).toBe(1);
  });

  it('a stored workflow whose server the worker does not list fails at run time, and nothing starts', async () => {
    const { id } = await author.workflows.create(document({ transport: 'stdio', name: 'retired' }));
    const { runId } = await startRun(db.sql, id, {});
    const view = await waitForRun(db.sql, runId, { timeoutMs: 20_000 });
    expect(view.status).toBe('failed');
    expect(view.steps[0]?.error).toMatchObject({ code: 'E_MCP_STDIO_NOT_ALLOWED' });
    expect(existsSync(marker)).toBe(false);
  });

  it('the approval card counts both mcp actions with a stdio server as writes, naming the program', () => {
    const catalog = createCatalog([mcpConnector], { stdioServers: {} });
    for (const uses of ['mcp.callTool', 'mcp.listTools']) {
      const effects = describeEffects(
        document({ transport: 'stdio', name: 'fixture' }, uses) as never,
        null,
        catalog,
      );
      expect(effects.writeSteps.map((step) => step.uses)).toEqual([uses]);
      expect(effects.newWriteSteps[0]?.target).toContain('stdio program "fixture" on the worker host');
    }
  });
});
