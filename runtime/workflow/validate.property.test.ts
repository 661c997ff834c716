import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDocumentText } from './parse-document-text.ts';
import { testCatalog } from './testing/test-catalog.ts';
import { validateWorkflow } from './validate.ts';
import { ERROR_CODES, WARNING_CODES } from './validation-issue.ts';

const validDir = join(import.meta.dirname, '__fixtures__', 'valid');
const seeds: unknown[] = readdirSync(validDir).map((file) => {
  const parsed = parseDocumentText(readFileSync(join(validDir, file)));
  if (!parsed.ok) throw new Error(file);
  return parsed.value;
});

function expectWellFormed(input: unknown): void {
  const report = validateWorkflow(input, { catalog: testCatalog, knownCredentials: ['acme'] });
  expect(report.valid).toBe(report.errors.length === 0);
  for (const issue of report.errors) {
    expect(ERROR_CODES).toContain(issue.code);
  }
  for (const issue of report.warnings) expect(WARNING_CODES).toContain(issue.code);
  for (const issue of [...report.errors, ...report.warnings]) {
    expect(issue.path === '' || issue.path.startsWith('/')).toBe(true);
    expect(typeof issue.message).toBe('string');
    expect(issue.message.length).toBeGreaterThan(0);
    expect(issue.hint.length).toBeGreaterThan(0);
  }
  expect(report.errors.length).toBeLessThanOrEqual(200);
  if (report.valid) expect(report.document).toBeDefined();
  JSON.stringify({ valid: report.valid, errors: report.errors, warnings: report.warnings });
}

type Path = (string | number)[];

function paths(value: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (Array.isArray(value)) {
    for (const [index, entry] of value.entries()) paths(entry, [...prefix, index], out);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, entry] of Object.entries(value)) paths(entry, [...prefix, key], out);
  }
  return out;
}

function setAt(root: unknown, path: Path, value: unknown, remove: boolean): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let current: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) current = current[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (remove && Array.isArray(current) && typeof last === 'number') current.splice(last, 1);
  else if (remove) delete current[last];
  else current[last] = value;
  return copy;
}

const idLike = fc.oneof(
  fc.constantFrom('post', 'get', 'each', 'isBug', 'a', 'b', 'line', 'send', 'route'),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
);
const templateLike = fc.oneof(
  fc.constantFrom(
    '{{',
    '}}',
    '{{ }}',
    '{{ steps.post.output }}',
    '{{ item }}',
    '{{ $eval("1") }}',
    '{{ trigger.(',
    '{{ {"a": {"b": 1}} }}',
  ),
  fc.string().map((text) => `{{ ${text} }}`),
);
const replacement = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  idLike,
  templateLike,
  fc.constantFrom(
    null,
    true,
    0,
    -1,
    1e308,
    'core.if',
    'core.foreach',
    'acme.sendMessage',
    'schedule',
    'route',
    'error',
  ),
  fc.integer({ min: 1000, max: 200_000 }).map((length) => 'x'.repeat(length)),
  fc.integer({ min: 65, max: 300 }).map((depth) => {
    let nested: unknown = 1;
    for (let index = 0; index < depth; index += 1) nested = [nested];
    return nested;
  }),
);

describe('validateWorkflow under random input', () => {
  it('never throws on arbitrary values', () => {
    fc.assert(
      fc.property(fc.anything({ maxDepth: 4, withObjectString: true, withNullPrototype: true }), (value) => {
        expectWellFormed(value);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on mutated valid documents', () => {
    const mutation = fc.record({
      seed: fc.integer({ min: 0, max: seeds.length - 1 }),
      steps: fc.array(fc.record({ pick: fc.nat(), remove: fc.boolean(), value: replacement }), {
        minLength: 1,
        maxLength: 4,
      }),
    });
    fc.assert(
      fc.property(mutation, ({ seed, steps }) => {
        let document = seeds[seed];
        for (const step of steps) {
          const all = paths(document);
          const target = all[step.pick % all.length] ?? [];
          document = setAt(document, target, step.value, step.remove && target.length > 0);
        }
        expectWellFormed(document);
      }),
      { numRuns: 400 },
    );
  });

  it('never throws on documents with random unicode ids and edges', () => {
    const graph = fc.record({
      ids: fc.array(idLike, { minLength: 1, maxLength: 8 }),
      edges: fc.array(
        fc.tuple(fc.nat(), fc.nat(), fc.option(fc.constantFrom('true', 'false', 'error', 'x'))),
        { maxLength: 10 },
      ),
      uses: fc.array(
        fc.constantFrom('core.if', 'core.transform', 'core.merge', 'acme.getItem', 'core.switch'),
        { minLength: 1 },
      ),
    });
    fc.assert(
      fc.property(graph, ({ ids, edges, uses }) => {
        const nodes = ids.map((id, index) => ({
          id,
          uses: uses[index % uses.length],
          with: { value: `{{ steps.${ids[(index + 1) % ids.length]}.output }}`, condition: true },
        }));
        const edgeList = edges.map(([from, to, branch]) => ({
          from: ids[from % ids.length],
          to: ids[to % ids.length],
          ...(branch ? { branch } : {}),
        }));
        expectWellFormed({
          schemaVersion: 1,
          name: 'g',
          trigger: { type: 'manual' },
          nodes,
          edges: edgeList,
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseDocumentText under random input', () => {
  it('never throws on random text or bytes', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary' }), fc.uint8Array({ maxLength: 200 }), fc.json()),
        (input) => {
          const parsed = parseDocumentText(input);
          if (!parsed.ok) {
            expect([1, 2]).toContain(parsed.error.exitCode);
            expect(parsed.error.message.length).toBeGreaterThan(0);
          } else expectWellFormed(parsed.value);
        },
      ),
      { numRuns: 300 },
    );
  });
});
