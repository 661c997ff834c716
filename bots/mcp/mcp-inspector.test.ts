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
/** The Inspector's CLI client itself (`inspector --cli` runs this file with the same arguments). */
const INSPECTOR = join(
  dirname(createRequire(import.meta.url).resolve('@modelcontextprotocol/inspector/package.json')),
  'cli/build/index.js',
);
const TOKEN = 'inspector-token-0123456789abcdef';
/**
 * Its installed version (0.15) has no option to send an Authorization header, and /mcp needs one: a preload adds
 * it to the Inspector's fetch, as a credential-adding proxy would. Nothing else about the client changes.
 */
const WITH_BEARER = `data:text/javascript,${encodeURIComponent(
  `const send = globalThis.fetch; globalThis.fetch = (input, init = {}) => { const headers = new Headers(init.headers); headers.set('authorization', 'Bearer ${TOKEN}'); return send(input, { ...init, headers }); };`,
)}`;

/** An independent client: the MCP Inspector's CLI mode, with a token (/mcp needs one). */
describe('MCP Inspector CLI against /mcp', () => {
  let app: FastifyInstance;
  let db: TestDatabase;
  let base = '';
  beforeAll(async () => {
    db = await createTestDatabase();
    app = createTestHttpServer(db.sql, db.url, TOKEN);
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
      ['--import', WITH_BEARER, INSPECTOR, `${base}/mcp`, '--transport', 'http', ...args],
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
