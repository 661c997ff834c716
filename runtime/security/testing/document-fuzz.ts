import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseDocumentText } from '../../workflow/parse-document-text.ts';
import { testCatalog } from '../../workflow/testing/test-catalog.ts';
import { validateWorkflow } from '../../workflow/validate.ts';
import { ERROR_CODES, WARNING_CODES } from '../../workflow/validation-issue.ts';

const validDir = join(import.meta.dirname, '..', '..', 'workflow', '__fixtures__', 'valid');

/** The valid fixture documents, the seeds every mutation starts from. */
export function loadSeedDocuments(): unknown[] {
  return readdirSync(validDir).map((file) => {
    const parsed = parseDocumentText(readFileSync(join(validDir, file)));
    if (!parsed.ok) throw new Error(`fixture ${file} does not parse`);
    return parsed.value;
  });
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

function mutate(root: unknown, path: Path, value: unknown, mode: 'set' | 'remove' | 'rename'): unknown {
  if (path.length === 0) return mode === 'set' ? value : root;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let current: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) current = current[key] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (mode === 'remove' && Array.isArray(current) && typeof last === 'number') current.splice(last, 1);
  else if (mode === 'remove') delete current[last];
  else if (mode === 'rename' && !Array.isArray(current)) {
    const moved = current[last];
    delete current[last];
    current[typeof value === 'string' ? value : `${String(last)}_x`] = moved;
  } else current[last] = value;
  return copy;
}

const hostileText = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    '{{',
    '}}',
    '{{ $eval("1") }}',
    '{{ trigger.(',
    '{{ steps.a.output }}',
    '\u0000',
    '\uD800',
    '\u202E',
    'core.if',
    'core.foreach',
    'core.code',
    'http.request',
    'acme.sendMessage',
    'sk-live-0123456789abcdefghijklmn',
  ),
  fc.string({ unit: 'binary', maxLength: 16 }),
  fc.string().map((text) => `{{ ${text} }}`),
);
const replacement = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  hostileText,
  fc.constantFrom(null, true, 0, -1, 1.5, 1e308, Number.MAX_SAFE_INTEGER + 2, [], {}),
  fc.integer({ min: 1_000, max: 100_000 }).map((length) => 'x'.repeat(length)),
  fc.integer({ min: 60, max: 200 }).map((depth) => {
    let nested: unknown = 1;
    for (let index = 0; index < depth; index += 1) nested = { a: nested };
    return nested;
  }),
);

/** One mutated document: a seed with 1–5 edits (set / remove / rename a key) at random places. */
export function mutatedDocument(seeds: readonly unknown[]): fc.Arbitrary<unknown> {
  return fc
    .record({
      seed: fc.nat({ max: seeds.length - 1 }),
      edits: fc.array(
        fc.record({
          pick: fc.nat(),
          mode: fc.constantFrom('set', 'set', 'remove', 'rename') as fc.Arbitrary<
            'set' | 'remove' | 'rename'
          >,
          value: replacement,
        }),
        { minLength: 1, maxLength: 5 },
      ),
    })
    .map(({ seed, edits }) => {
      let document = seeds[seed];
      for (const edit of edits) {
        const all = paths(document);
        document = mutate(document, all[edit.pick % all.length] ?? [], edit.value, edit.mode);
      }
      return document;
    });
}

/** Validates and returns what is wrong with the report (empty = a clear, well-formed answer). */
export function reportProblems(document: unknown): string[] {
  const report = validateWorkflow(document, { catalog: testCatalog, knownCredentials: ['acme'] });
  const problems: string[] = [];
  if (report.valid !== (report.errors.length === 0)) problems.push('valid disagrees with errors');
  for (const issue of report.errors)
    if (!(ERROR_CODES as readonly string[]).includes(issue.code)) problems.push(`unknown code ${issue.code}`);
  for (const issue of report.warnings)
    if (!(WARNING_CODES as readonly string[]).includes(issue.code))
      problems.push(`unknown warning ${issue.code}`);
  for (const issue of [...report.errors, ...report.warnings]) {
    if (!(issue.path === '' || issue.path.startsWith('/'))) problems.push(`bad path ${issue.path}`);
    if (!issue.message) problems.push(`${issue.code} without a message`);
    if (!issue.hint) problems.push(`${issue.code} without a hint`);
  }
  if (report.valid && !report.document) problems.push('valid without a document');
  JSON.stringify(report.errors);
  return problems;
}
