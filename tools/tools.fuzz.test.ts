import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntimePorts } from '../agent/runtime-ports.ts';
import { slackConnector } from '../connectors/slack/connector.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { executeToolCall } from './execute-tool-call.ts';
import { agentTools } from './registry.ts';
import type { ToolContext } from './tool-context.ts';

/**
 * Every agent tool (read and write) with arguments shaped like its schema but filled with hostile values. The
 * registry test fuzzes read tools with plain JSON; this one reaches past the zod parse into the tools themselves.
 */
describe('agent tools with fuzzed arguments', () => {
  let db: TestDatabase;
  let ctx: ToolContext;
  beforeAll(async () => {
    db = await createTestDatabase();
    ctx = {
      ...createRuntimePorts({ sql: db.sql, connectors: [slackConnector] }),
      docs: undefined,
      conversation: { id: null, actor: 'fuzz', userId: 'usr_test' },
      proposals: {
        async create() {
          throw new Error('proposal store unavailable in this test');
        },
      },
    };
  });
  afterAll(() => db.drop());

  const hostile = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.constantFrom(
      '\u0000',
      '\uD800',
      '\u202Eevil',
      '__proto__',
      '{{ $eval("process") }}',
      "'; drop table runs; --",
      'wf_missing',
      'run_missing',
      'x'.repeat(200_000),
      { __proto__: { polluted: true } },
      { constructor: { prototype: { polluted: true } } },
      { schemaVersion: 1, name: 'x', trigger: { type: 'manual' }, nodes: [{ id: 'a', uses: 'core.code' }] },
      [{ op: 'replace', path: '/nodes/0/uses', value: 'http.request' }],
      [{ op: 'add', path: '/__proto__/polluted', value: true }],
    ),
  );
  const keysOf = (name: string): string[] => {
    const tool = agentTools.find((t) => t.name === name);
    const shape = (tool?.input as unknown as { shape?: Record<string, unknown> } | undefined)?.shape;
    return shape ? Object.keys(shape) : [];
  };
  const call = fc.constantFrom(...agentTools.map((t) => t.name)).chain((name) =>
    fc.record({
      name: fc.constant(name),
      input: fc.oneof(
        hostile,
        fc.dictionary(fc.constantFrom(...keysOf(name), 'extra', '__proto__'), hostile, { maxKeys: 5 }),
      ),
    }),
  );

  it('0 throws: every outcome is a capped string, errors carry a code', async () => {
    await fc.assert(
      fc.asyncProperty(call, async ({ name, input }) => {
        const outcome = await executeToolCall(agentTools, { name, input }, ctx);
        expect(typeof outcome.content).toBe('string');
        expect(outcome.content.length).toBeLessThan(40_000);
        if (outcome.isError) expect(outcome.error?.code).toMatch(/^E_/);
      }),
      { numRuns: 300 },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
