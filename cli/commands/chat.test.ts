import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ScriptedModelServer,
  startScriptedModelServer,
} from '../../agent/testing/scripted-model-server.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';

const run = promisify(execFile);
const BIN = resolve(import.meta.dirname, '../../bin/vmesh.mjs');

const document = {
  schemaVersion: 1,
  name: 'Greeting',
  trigger: { type: 'manual' },
  nodes: [{ id: 'greet', uses: 'core.transform', with: { value: 'Hello {{ trigger.name }}' } }],
  edges: [],
};

describe('vmesh chat and vmesh proposals (the real CLI process against the scripted model)', () => {
  let db: TestDatabase;
  let server: ScriptedModelServer;
  let env: NodeJS.ProcessEnv;

  const vmesh = async (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
        env: { ...env, ...extraEnv },
        timeout: 60_000,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startScriptedModelServer();
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'test',
      DATABASE_URL: db.url,
      VMESH_MODEL: 'anthropic:claude-test',
      ANTHROPIC_API_KEY: 'sk-test-key',
      ANTHROPIC_BASE_URL: server.anthropicBaseUrl,
    };
  });
  afterAll(async () => {
    await server.close();
    await db.drop();
  });

  // Each CLI process compiles the TypeScript on start (slow on a busy machine): independent calls run side by side.
  it('chat creates a proposal; approving it activates a valid workflow; a missing key is a clear message', async () => {
    server.setScript([
      { toolCalls: [{ name: 'draft_workflow', input: { document } }] },
      {
        toolCalls: [{ name: 'propose_workflow', input: { document, summary: 'Greets whoever starts it.' } }],
      },
      { text: 'I proposed a greeting workflow.' },
    ]);
    const [chat, noKey] = await Promise.all([
      vmesh(['chat', '--json', 'Make a workflow that greets people']),
      vmesh(['chat', '--json', 'hello'], { ANTHROPIC_API_KEY: '' }),
    ]);
    expect(chat.code, chat.stderr).toBe(0);
    const out = JSON.parse(chat.stdout) as {
      conversationId: string;
      reply: string;
      proposals: { id: string; kind: string; status: string; workflowId: string | null }[];
    };
    expect(out.conversationId).toMatch(/^conv_/);
    expect(out.reply).toBe('I proposed a greeting workflow.');
    expect(out.proposals).toEqual([
      { id: expect.stringMatching(/^prop_/), kind: 'new', status: 'pending', workflowId: null },
    ]);

    expect(noKey.code).toBe(1);
    expect((JSON.parse(noKey.stdout) as { reply: string }).reply).toContain('ANTHROPIC_API_KEY is not set');
    expect(noKey.stderr).not.toMatch(/\n\s+at /);

    // The same conversation continues with --conversation; the list shows the proposal; approval activates it.
    server.setScript([{ text: 'Yes, it is waiting for your approval.' }]);
    const [follow, list, approve] = await Promise.all([
      vmesh(['chat', '--json', '--conversation', out.conversationId, 'Is it ready?']),
      vmesh(['proposals', 'list', '--all', '--json']),
      vmesh(['proposals', 'approve', out.proposals[0]!.id, '--json']),
    ]);
    expect(JSON.parse(follow.stdout)).toMatchObject({ conversationId: out.conversationId, proposals: [] });
    expect(server.requests.at(-1)?.rawBody).toContain('Make a workflow that greets people');
    expect((JSON.parse(list.stdout) as { id: string }[]).map((p) => p.id)).toContain(out.proposals[0]?.id);
    expect(approve.code, approve.stderr).toBe(0);
    expect(JSON.parse(approve.stdout)).toMatchObject({ ok: true });
    const rows = await db.sql`select active, conversation_ref from workflows where name = 'Greeting'`;
    expect(rows).toEqual([{ active: true, conversationRef: out.conversationId }]);
  }, 240_000);
});
