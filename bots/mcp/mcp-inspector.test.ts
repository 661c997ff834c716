import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { createTestHttpServer } from '../testing/http-server.ts';
import { createScriptedConversation } from '../testing/scripted-conversation.ts';
import { registerMcpHttp } from './register-mcp-http.ts';

const run = promisify(execFile);
const INSPECTOR = join(
  dirname(createRequire(import.meta.url).resolve('@modelcontextprotocol/inspector/package.json')),
  'cli/build/cli.js',
);

/**
 * An independent client: the MCP Inspector's CLI mode. Its installed version (0.15) has no option to send
 * an Authorization header, so it talks to a loopback server without a token (the no-token local setup).
 */
describe('MCP Inspector CLI against /mcp', () => {
  let app: FastifyInstance;
  let db: TestDatabase;
  let base = '';
  beforeAll(async () => {
    db = await createTestDatabase();
    app = createTestHttpServer(db.sql, db.url);
    await registerMcpHttp(app, {
      conversation: createScriptedConversation(),
      allowedHosts: () => [new URL(base).host],
      allowedOrigins: [],
    });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  const inspect = async (...args: string[]) => {
    const { stdout } = await run(
      process.execPath,
      [INSPECTOR, '--cli', `${base}/mcp`, '--transport', 'http', ...args],
      {
        timeout: 30_000,
      },
    );
    return JSON.parse(stdout) as Record<string, unknown>;
  };

  it('lists the tools and calls chat', async () => {
    const listed = (await inspect('--method', 'tools/list')) as { tools: Array<{ name: string }> };
    expect(listed.tools.map((tool) => tool.name)).toEqual(
      expect.arrayContaining(['chat', 'approve_proposal']),
    );
    const called = (await inspect(
      '--method',
      'tools/call',
      '--tool-name',
      'chat',
      '--tool-arg',
      'message=hello',
    )) as {
      content: Array<{ text: string }>;
      isError: boolean;
    };
    expect(called.isError).toBe(false);
    expect(called.content[0]?.text).toContain('Proposal p1 (workflow)');
  }, 60_000);
});
