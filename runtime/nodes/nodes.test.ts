// The contract every core node declaration keeps (like connectors/registry.test.ts for connectors).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createCatalog } from '../workflow/catalog.ts';
import { validateWorkflow } from '../workflow/validate.ts';
import type { NodeRunContext } from './define-core-node.ts';
import {
  BODY_CORE_NODES,
  CLAIMLESS_CORE_NODES,
  coreNodes,
  findCoreNode,
  INLINE_CORE_NODES,
} from './index.ts';

/** A valid `with` (and body) per core node: a new node adds its line here. */
const SAMPLES: Record<string, { with: Record<string, unknown>; do?: unknown }> = {
  'core.if': { with: { condition: true } },
  'core.switch': { with: { cases: { urgent: true, normal: false } } },
  'core.foreach': {
    with: { items: [1, 2], concurrency: 2 },
    do: { nodes: [{ id: 'each', uses: 'core.transform', with: { value: '{{ item }}' } }] },
  },
  'core.merge': { with: {} },
  'core.delay': { with: { ms: 10 } },
  'core.approval': { with: { message: 'Ship it?' } },
  'core.wait': { with: { timeoutSeconds: 60 } },
  'core.transform': { with: { value: 1 } },
  'core.code': { with: { code: 'return input;', input: 1 } },
  'core.subworkflow': { with: { workflow: 'child' } },
  'core.agent': { with: { prompt: 'Hello' } },
  'core.respond': { with: { status: 200, body: 'ok' } },
};

const catalog = createCatalog([]);
const docSections = [
  ...readFileSync(join(import.meta.dirname, 'core-nodes.md'), 'utf8').matchAll(/^## (core\.\w+)$/gm),
].map((match) => match[1]);
/** The people's reference (docs/workflow-format.md) has a table row per core node. */
const formatRows = [
  ...readFileSync(join(import.meta.dirname, '../../docs/workflow-format.md'), 'utf8').matchAll(
    /^\| `(core\.\w+)` \|/gm,
  ),
].map((match) => match[1]);

/** A document with the node under test feeding one transform per branch name. */
function documentWith(uses: string, branchNames: (string | undefined)[]): unknown {
  const sample = SAMPLES[uses];
  return {
    schemaVersion: 1,
    name: 'contract',
    trigger: { type: uses === 'core.respond' ? 'webhook' : 'manual' },
    nodes: [
      { id: 'subject', uses, with: sample?.with, ...(sample?.do ? { do: sample.do } : {}) },
      ...branchNames.map((_, index) => ({
        id: `next${index}`,
        uses: 'core.transform',
        with: { value: index },
      })),
    ],
    edges: branchNames.map((branch, index) => ({
      from: 'subject',
      to: `next${index}`,
      ...(branch === undefined ? {} : { branch }),
    })),
  };
}

const codes = (report: { errors: { code: string }[]; warnings: { code: string }[] }) => [
  ...report.errors.map((issue) => issue.code),
  ...report.warnings.map((issue) => issue.code),
];

function plainContext(withValue: Record<string, unknown>): NodeRunContext {
  return {
    node: { id: 'subject', uses: 'core.x', with: withValue },
    evaluate: async (value) => value,
    setInput: (value) => value,
    incomingOutputs: () => ({}),
    runCode: async (_code, input) => input,
    runAgent: async (agent) => ({ kind: 'done', output: { text: agent.prompt } }),
    subworkflowTarget: async (ref) => ({ id: ref, name: ref }),
  };
}

describe('core node contract', () => {
  it('has unique core.<name> ids and a sample here for each', () => {
    expect(new Set(coreNodes.map((node) => node.uses)).size).toBe(coreNodes.length);
    for (const node of coreNodes) {
      expect(node.uses).toMatch(/^core\.[a-z]+$/);
      expect(SAMPLES[node.uses], `add a sample for ${node.uses} to SAMPLES`).toBeDefined();
    }
  });

  for (const node of coreNodes) {
    describe(node.uses, () => {
      it('has its doc section in core-nodes.md, its row in docs/workflow-format.md and a contract line', () => {
        expect(docSections).toContain(node.uses);
        expect(formatRows).toContain(node.uses);
        expect(node.contract.title.length).toBeGreaterThan(3);
        expect(node.contract.text.length).toBeGreaterThan(20);
        expect(node.description.length).toBeGreaterThan(60);
      });

      it('has a JSON Schema for its with, which accepts its sample', () => {
        expect(() => z.toJSONSchema(node.with, { io: 'input', unrepresentable: 'any' })).not.toThrow();
        expect(node.with.safeParse(SAMPLES[node.uses]?.with).success).toBe(true);
      });

      it('allows on its edges exactly the branches it declares', () => {
        const withValue = SAMPLES[node.uses]?.with ?? {};
        const branches = node.branches(withValue);
        const valid = validateWorkflow(documentWith(node.uses, branches), { catalog });
        expect(valid.errors).toEqual([]);
        expect(codes(valid)).not.toContain('W_BRANCH_UNUSED');
        const bad = validateWorkflow(documentWith(node.uses, [...branches, 'notABranch']), { catalog });
        expect(bad.errors.map((issue) => issue.code)).toEqual(['E_BAD_BRANCH']);
        for (const watched of node.watchedBranches?.(withValue) ?? []) expect(branches).toContain(watched);
        // A node that routes warns about an edge without a branch; others do not.
        const bare = validateWorkflow(documentWith(node.uses, [undefined]), { catalog });
        expect(codes(bare).includes('W_EDGE_WITHOUT_BRANCH')).toBe(node.watchedBranches !== undefined);
      });

      it('is claimless only if it runs inline, and inline only if it never waits', () => {
        if (node.claimless) expect(node.inline).toBe(true);
        if (node.inline) {
          expect(node.begin).toBeUndefined();
          expect(node.resume).toBeUndefined();
        }
        if (node.resume) expect(node.begin).toBeDefined();
        expect(CLAIMLESS_CORE_NODES.has(node.uses)).toBe(node.claimless);
        expect(INLINE_CORE_NODES.has(node.uses)).toBe(node.inline);
      });

      it('runs its sample (a wait only when it can begin one) and simulates it', async () => {
        const sample = SAMPLES[node.uses]?.with ?? {};
        const outcome = await node.run(plainContext(sample));
        expect(['succeeded', 'wait']).toContain(outcome.kind);
        if (outcome.kind === 'wait') expect(node.begin).toBeDefined();
        const simulation = await node.simulate(sample, {
          body: SAMPLES[node.uses]?.do,
          steps: {},
          runBody: async (item) => ({ ok: true, output: item }),
        });
        expect(['ran', 'simulated', 'would-wait']).toContain(simulation.status);
      });

      it('requires a body exactly when it runs one', () => {
        const sample = SAMPLES[node.uses];
        const withoutBody = validateWorkflow(
          {
            ...(documentWith(node.uses, []) as object),
            nodes: [{ id: 'subject', uses: node.uses, with: sample?.with }],
          },
          { catalog },
        );
        expect(withoutBody.valid).toBe(!node.body);
        expect(BODY_CORE_NODES.has(node.uses)).toBe(node.body === true);
      });

      it('has a picture shape of two strings when it has one', () => {
        if (node.shape)
          expect(node.shape.every((part) => typeof part === 'string' && part.length > 0)).toBe(true);
      });
    });
  }

  it('parses the evaluated with by the schema the validator uses (foreach concurrency 1–50)', async () => {
    const foreach = findCoreNode('core.foreach');
    await expect(foreach?.run(plainContext({ items: [1], concurrency: 51 }))).rejects.toThrow();
    expect(foreach?.with.safeParse({ items: [1], concurrency: 51 }).success).toBe(false);
    await expect(foreach?.run(plainContext({ items: [1], concurrency: 50 }))).resolves.toMatchObject({
      kind: 'wait',
    });
  });
});
