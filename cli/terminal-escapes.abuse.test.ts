import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ScriptedModelServer,
  startScriptedModelServer,
} from '../agent/testing/scripted-model-server.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { cliEnv, runCli } from './testing/cli-process.ts';

// Names, summaries and model text come from outside (a model, a chat, another author). Printed raw, their escape
// sequences drive the terminal: clear the screen, write a fake OSC 8 link, set the clipboard (OSC 52), use the
// one-byte C1 CSI, reverse the text with a bidi override, or overwrite the line with a carriage return. Every
// string the CLI prints goes through cli/terminal-text.ts; the real CLI process shows them as \uXXXX instead.

const HOSTILE =
  'Evil\u001b[2J\u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007' +
  '\u001b]52;c;ZWNobyBwd25lZA==\u0007\u009b31m\u202etxt.exe\rOVERWRITTEN\u0007\u007f';

/** Bytes a terminal would act on: C0 controls but newline and tab, DEL, C1, bidi controls, a CR without LF. */
const UNSAFE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]|\r(?!\n)/;

const document = {
  schemaVersion: 1,
  name: HOSTILE,
  description: HOSTILE,
  trigger: { type: 'manual' },
  nodes: [{ id: 'greet', name: HOSTILE, uses: 'core.transform', with: { value: HOSTILE } }],
  edges: [],
};

describe('the CLI never sends terminal control sequences it did not write', () => {
  let db: TestDatabase;
  let model: ScriptedModelServer;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    db = await createTestDatabase({ poolSize: 2 });
    model = await startScriptedModelServer();
    env = cliEnv({
      DATABASE_URL: db.url,
      VMESH_DATA_DIR: '/nonexistent',
      VMESH_MODEL: 'anthropic:claude-test',
      ANTHROPIC_API_KEY: 'sk-test-key',
      ANTHROPIC_BASE_URL: model.anthropicBaseUrl,
      VMESH_EMBEDDINGS: 'hashing',
    });
  });
  afterAll(async () => {
    await model?.close();
    await db?.drop();
  });

  const expectClean = (where: string, text: string) => {
    expect(
      UNSAFE.exec(text)?.[0]?.codePointAt(0)?.toString(16),
      `${where}: ${JSON.stringify(text.slice(0, 400))}`,
    ).toBeUndefined();
  };

  it('model text, a proposal summary and a workflow name are printed without ESC, BEL, C1, bidi or a bare CR', async () => {
    model.setScript([
      { toolCalls: [{ name: 'propose_workflow', input: { document, summary: HOSTILE } }] },
      { text: `Here it is: ${HOSTILE}` },
    ]);
    const chat = await runCli(['chat', 'make it'], { env });
    expect(chat.code, chat.stderr).toBe(0);
    expectClean('chat stdout', chat.stdout);
    expectClean('chat stderr', chat.stderr);
    // Shown, not dropped: the person sees that something odd was there.
    expect(chat.stdout).toContain('Evil\\u001b[2J');

    const list = await runCli(['proposals', 'list', '--json'], { env });
    expect(list.code, list.stderr).toBe(0);
    const [proposal] = JSON.parse(list.stdout) as { id: string; summary: string }[];
    expect(proposal?.summary).toBe(HOSTILE);
    const [listed, approved] = await Promise.all([
      runCli(['proposals', 'list'], { env }),
      runCli(['proposals', 'approve', proposal?.id ?? ''], { env }),
    ]);
    for (const [where, result] of Object.entries({ listed, approved })) {
      expect(result.code, result.stderr).toBe(0);
      expectClean(`${where} stdout`, result.stdout);
      expectClean(`${where} stderr`, result.stderr);
    }

    const json = await runCli(['workflows', 'list', '--json'], { env });
    expectClean('workflows list --json', json.stdout);
    // JSON stays JSON with the same value: the escapes are JSON escapes.
    const [workflow] = JSON.parse(json.stdout) as { id: string; name: string }[];
    expect(workflow?.name).toBe(HOSTILE);
    const [text, get, getJson] = await Promise.all([
      runCli(['workflows', 'list'], { env }),
      runCli(['workflows', 'get', workflow?.id ?? ''], { env }),
      runCli(['workflows', 'get', workflow?.id ?? '', '--json'], { env }),
    ]);
    for (const [where, result] of Object.entries({ text, get, getJson })) {
      expect(result.code, result.stderr).toBe(0);
      expectClean(`${where} stdout`, result.stdout);
    }
    expect(text.stdout).toContain('Evil\\u001b[2J');
    expect(
      (JSON.parse(getJson.stdout) as { document: { nodes: { name: string }[] } }).document.nodes[0]?.name,
    ).toBe(HOSTILE);
  }, 120_000);
});
