// The layer order and the doors, checked over every import of every non-test .ts file in tsconfig's program.
//
// (a) Order, lowest first: a folder imports only folders below it. retrieval/ sits between runtime/ and tools/:
//     it indexes connectors and core nodes and feeds the agent's tools through DocsPort. prompts/ holds
//     text only and sits below agent/, its one reader. evals/, bin/ and examples/ are entry points like cli/.
// (b) Doors: a file imports another top-level folder only through that folder's index.ts (type-only imports
//     count too: a type reached past the door is as much a coupling to the folder's inside as a value).
//     runtime/ has two light doors besides (LIGHT_DOORS), for callers that must not load the engine. The web
//     chat's browser bundle (what bots/web/client/main.ts reaches by value imports) uses only BROWSER_DOORS.
// (c) Production code never imports test-only code, except evals/, whose scenarios drive the wire fakes.
// (d) Inside runtime/, the same for its folders: nodes < workflow < store < files < engine < triggers < alerts < api; the files
//     at runtime/'s top (index.ts, services.ts: the composition of worker, routes and triggers) may import all.
//
// Test-only code (`*.test.ts`, `testing/` folders, `fake-*.ts` wire fakes, fixtures, benches) is exempt from
// (a) and (b): tests drive the product through its real entry points and reach into a folder to test it.
// Heavy modules stay lazy behind the doors: bots/index.ts and agent/index.ts load the Slack, Discord and LLM
// SDKs inside functions (dynamic import), so importing a door costs only what its folder always loads.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  isCallExpression,
  isExportDeclaration,
  isImportDeclaration,
  isImportTypeNode,
  isLiteralTypeNode,
  isStringLiteral,
  type Node,
  SyntaxKind,
} from 'typescript/unstable/ast';
import { API } from 'typescript/unstable/sync';
import { beforeAll, describe, expect, it } from 'vitest';

/** Lowest first; folders in one entry are peers and may not import each other. */
const LAYERS: readonly (readonly string[])[] = [
  ['lib'],
  ['db'],
  ['access'],
  ['connectors'],
  ['runtime'],
  ['retrieval'],
  ['tools'],
  ['prompts'],
  ['agent'],
  ['bots'],
  ['app'],
  ['cli'],
  ['evals', 'bin', 'examples'],
];

/** Doors besides `<folder>/index.ts` open to every folder: the light parts of runtime/, without the engine. */
const LIGHT_DOORS: Readonly<Record<string, string>> = {
  'runtime/workflow/index.ts': 'the document contract (schema, validator, catalog) for `vmesh schema`',
  'runtime/nodes/index.ts': 'the core-node declarations (shape, branches), browser-safe',
  'lib/errors.ts': 'AppError without the logger, for the expression child process (it loads no pino)',
  'lib/result.ts': 'Result without the logger, for the expression child process',
};
/** The only doors the browser bundle may use (runtime/index.ts pulls in the engine, lib/index.ts the logger). */
const BROWSER_DOORS: Readonly<Record<string, string>> = {
  'runtime/nodes/index.ts': LIGHT_DOORS['runtime/nodes/index.ts']!,
  'lib/errors.ts': 'AppError without the logger (pino, process.env)',
};
const BROWSER_ENTRY = 'bots/web/client/main.ts';

/**
 * Known door violations inside agent/** and bots/** runtime/'s folders, lowest first. */
const RUNTIME_LAYERS: readonly string[] = [
  'nodes',
  'workflow',
  'store',
  'files',
  'engine',
  'triggers',
  'alerts',
  'api',
];

/**
 * Known breaks of runtime/'s order, left as they were; each entry `importer -> imported` must still break it.
 * The core nodes' Outcome carries the engine's StepError (a type) and their declarations the step statuses of
 * store/run-status.ts; the hook-secret route parses its request with api/'s parseRequest.
 */
const KNOWN_RUNTIME_VIOLATIONS: readonly string[] = [
  'runtime/nodes/define-core-node.ts -> runtime/store/run-status.ts',
  'runtime/nodes/outcome.ts -> runtime/engine/step-error.ts',
  'runtime/triggers/webhook-secret-route.ts -> runtime/api/http-errors.ts',
];

const isTestOnly = (file: string): boolean =>
  /\.test\.ts$|(^|\/)(testing|__fixtures__|fixtures|bench)\/|(^|\/)fake-[^/]*\.ts$|-bench\.ts$/.test(file);

const folderOf = (file: string): string | undefined => (file.includes('/') ? file.split('/')[0] : undefined);

const rankOf = (folder: string): number => LAYERS.findIndex((layer) => layer.includes(folder));

type Edge = { from: string; to: string; typeOnly: boolean };

/** Why an import breaks a rule, or undefined when it is allowed. */
function violationOf(edge: Edge, browserBundle: ReadonlySet<string>): string | undefined {
  const from = folderOf(edge.from);
  const to = folderOf(edge.to);
  if (from === undefined || to === undefined) return undefined;
  if (isTestOnly(edge.from)) return undefined;
  if (isTestOnly(edge.to) && from !== 'evals') return 'production code imports test-only code';
  if (from === to) return from === 'runtime' ? runtimeViolationOf(edge) : undefined;
  const fromRank = rankOf(from);
  const toRank = rankOf(to);
  if (fromRank < 0) return `${from}/ has no place in LAYERS`;
  if (toRank < 0) return `${to}/ has no place in LAYERS`;
  if (toRank >= fromRank) return `${from}/ imports ${to}/, which is not below it`;
  if (isTestOnly(edge.to)) return undefined;
  if (edge.to === `${to}/index.ts` || edge.to in LIGHT_DOORS) return undefined;
  if (browserBundle.has(edge.from) && edge.to in BROWSER_DOORS) return undefined;
  return `past the door of ${to}/ (import from ${to}/index.ts)`;
}

function runtimeViolationOf(edge: Edge): string | undefined {
  const from = edge.from.split('/');
  const to = edge.to.split('/');
  if (from.length < 3 || to.length < 3 || from[1] === to[1]) return undefined;
  const fromRank = RUNTIME_LAYERS.indexOf(from[1]!);
  const toRank = RUNTIME_LAYERS.indexOf(to[1]!);
  if (fromRank < 0) return `runtime/${from[1]}/ has no place in RUNTIME_LAYERS`;
  if (toRank < 0) return `runtime/${to[1]}/ has no place in RUNTIME_LAYERS`;
  return toRank < fromRank
    ? undefined
    : `runtime/${from[1]}/ imports runtime/${to[1]}/, which is not below it`;
}

/** Every relative import of every .ts file in the program: static, re-export, dynamic and `import('…')` types. */
function readImportGraph(root: string): Edge[] {
  const api = new API({ cwd: root });
  try {
    const project = api.updateSnapshot({ openProject: path.join(root, 'tsconfig.json') }).getProjects()[0];
    if (project === undefined) throw new Error('tsconfig.json opened no project');
    const edges: Edge[] = [];
    for (const fileName of project.program.getSourceFileNames()) {
      const from = path.relative(root, fileName);
      if (from.startsWith('..') || from.includes('node_modules') || !from.endsWith('.ts')) continue;
      const sourceFile = project.program.getSourceFile(fileName);
      if (sourceFile === undefined) continue;
      const add = (specifier: Node | undefined, typeOnly: boolean): void => {
        if (specifier === undefined || !isStringLiteral(specifier) || !specifier.text.startsWith('.')) return;
        edges.push({
          from,
          to: path.relative(root, path.resolve(path.dirname(fileName), specifier.text)),
          typeOnly,
        });
      };
      const visit = (node: Node): void => {
        if (isImportDeclaration(node))
          add(node.moduleSpecifier, node.importClause?.phaseModifier === SyntaxKind.TypeKeyword);
        else if (isExportDeclaration(node)) add(node.moduleSpecifier, node.isTypeOnly);
        else if (isCallExpression(node) && node.expression.kind === SyntaxKind.ImportKeyword)
          add(node.arguments[0], false);
        else if (isImportTypeNode(node) && isLiteralTypeNode(node.argument)) add(node.argument.literal, true);
        node.forEachChild(visit);
      };
      sourceFile.forEachChild(visit);
    }
    return edges;
  } finally {
    api.close();
  }
}

/** The files the browser bundle contains: reached from its entry by imports that survive type erasure. */
function browserBundleOf(edges: readonly Edge[]): Set<string> {
  const bundle = new Set([BROWSER_ENTRY]);
  const pending = [BROWSER_ENTRY];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    for (const edge of edges) {
      if (edge.from !== file || edge.typeOnly || bundle.has(edge.to)) continue;
      bundle.add(edge.to);
      pending.push(edge.to);
    }
  }
  return bundle;
}

/** A violation between two files of runtime/ (its sub-order), as opposed to one between top-level folders. */
const insideRuntime = (violation: string): boolean => /^runtime\/\S+ -> runtime\//.test(violation);

describe('layers and doors', () => {
  let edges: Edge[] = [];
  let browserBundle = new Set<string>();
  let violations: string[] = [];

  beforeAll(() => {
    edges = readImportGraph(path.dirname(fileURLToPath(import.meta.url)));
    browserBundle = browserBundleOf(edges);
    violations = edges.flatMap((edge) => {
      const why = violationOf(edge, browserBundle);
      return why === undefined ? [] : [`${edge.from} -> ${edge.to}: ${why}`];
    });
  }, 120_000);

  it('reads the imports of the whole program', () => {
    expect(edges.length).toBeGreaterThan(1000);
    expect(edges).toContainEqual({ from: 'cli/main.ts', to: 'cli/program.ts', typeOnly: false });
    expect(browserBundle.has('bots/web/workflow-to-mermaid.ts')).toBe(true);
  });

  it('the browser bundle reaches no door but the browser-safe ones (the others load the engine or the logger)', () => {
    expect(
      [...browserBundle].filter((file) => file.endsWith('/index.ts') && !(file in BROWSER_DOORS)),
    ).toEqual([]);
  });

  it('flags an upward import, a door bypass and production code reaching a fake', () => {
    const none = new Set<string>();
    expect(violationOf({ from: 'connectors/a.ts', to: 'runtime/index.ts', typeOnly: true }, none)).toMatch(
      /not below/,
    );
    expect(violationOf({ from: 'app/a.ts', to: 'cli/main.ts', typeOnly: false }, none)).toMatch(/not below/);
    expect(
      violationOf({ from: 'tools/a.ts', to: 'runtime/workflow/document.ts', typeOnly: true }, none),
    ).toMatch(/door/);
    expect(
      violationOf({ from: 'tools/a.ts', to: 'connectors/slack/fake-server.ts', typeOnly: false }, none),
    ).toMatch(/test-only/);
    expect(
      violationOf({ from: 'tools/a.ts', to: 'runtime/index.ts', typeOnly: false }, none),
    ).toBeUndefined();
    expect(
      violationOf({ from: 'tools/a.test.ts', to: 'db/testing/test-database.ts', typeOnly: false }, none),
    ).toBeUndefined();
    expect(
      violationOf({ from: 'cli/a.ts', to: 'runtime/workflow/index.ts', typeOnly: false }, none),
    ).toBeUndefined();
    expect(violationOf({ from: 'bots/web/a.ts', to: 'lib/logger.ts', typeOnly: false }, none)).toMatch(
      /door/,
    );
    expect(
      violationOf({ from: 'runtime/store/a.ts', to: 'runtime/engine/b.ts', typeOnly: true }, none),
    ).toMatch(/not below/);
    expect(
      violationOf({ from: 'runtime/services.ts', to: 'runtime/api/b.ts', typeOnly: false }, none),
    ).toBeUndefined();
    const bundle = new Set(['bots/web/a.ts']);
    expect(
      violationOf({ from: 'bots/web/a.ts', to: 'lib/errors.ts', typeOnly: false }, bundle),
    ).toBeUndefined();
  });

  it('no folder imports a higher one or reaches past another folder’s index.ts', () => {
    expect(violations.filter((violation) => !insideRuntime(violation))).toEqual([]);
  });

  it('inside runtime/, no folder imports a higher one', () => {
    const known = new Set(KNOWN_RUNTIME_VIOLATIONS);
    const runtime = violations.filter(insideRuntime);
    expect(runtime.filter((violation) => !known.has(violation.split(': ')[0]!))).toEqual([]);
    const current = new Set(runtime.map((violation) => violation.split(': ')[0]!));
    expect(KNOWN_RUNTIME_VIOLATIONS.filter((entry) => !current.has(entry))).toEqual([]);
  });
});
