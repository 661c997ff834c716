import type jsonata from 'jsonata';

/** The parts of a JSONata AST node we read (the published ExprNode type lacks "path" and others). */
type AstNode = {
  type: string;
  value?: unknown;
  position?: number;
  steps?: AstNode[];
  arguments?: AstNode[];
  procedure?: AstNode;
  [key: string]: unknown;
};

/** The names an expression may read at its root: everything else is undefined at run time. */
export const SCOPE_ROOTS = ['trigger', 'steps', 'item', 'index', 'vars'] as const;

export type StepReference = {
  /** The step id read through `steps.<id>`. */
  id: string;
  /** Offset of the id inside the expression source. */
  position: number;
  /** The name after the id (`output` is the only field a step has), when there is one. */
  field: string | undefined;
};

export type ExpressionAnalysis = {
  steps: StepReference[];
  /** Names read at the root of the scope (`trigger`, `item`, … or a mistake such as `body`). */
  roots: { name: string; position: number }[];
  /** `vars.<name>` reads. */
  vars: string[];
  /** Names of the `$functions` the expression calls. */
  functions: string[];
};

const isAstNode = (value: unknown): value is AstNode =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  typeof (value as { type?: unknown }).type === 'string';

/**
 * Walks a JSONata AST (from `jsonata(source).ast()`) and lists what it reads from the scope.
 * `steps.X` is found anywhere (also inside predicates and lambdas, where JSONata would read it relative
 * to the context: over-reporting a read is safer than missing one). Roots are only listed where the
 * expression is certainly evaluated against the scope itself.
 */
export function analyzeAst(ast: jsonata.ExprNode): ExpressionAnalysis {
  const analysis: ExpressionAnalysis = { steps: [], roots: [], vars: [], functions: [] };
  walk(ast as unknown as AstNode, true, analysis, 0);
  return analysis;
}

const MAX_AST_DEPTH = 500;

function walk(node: AstNode, atRoot: boolean, analysis: ExpressionAnalysis, depth: number): void {
  if (depth > MAX_AST_DEPTH) return;
  if (node.type === 'path' && Array.isArray(node.steps)) {
    readPath(node.steps as AstNode[], atRoot, analysis);
    node.steps.forEach((step: AstNode, index: number) => {
      visitValue(step, atRoot && index === 0 && step.type !== 'name', analysis, depth + 1);
    });
    walkChildren(node, false, analysis, depth);
    return;
  }
  if (
    node.type === 'function' &&
    node.procedure?.type === 'variable' &&
    typeof node.procedure.value === 'string'
  ) {
    analysis.functions.push(node.procedure.value);
  }
  if (node.type === 'function' && isLookupOfSteps(node)) {
    const key = node.arguments?.[1];
    if (key?.type === 'string' && typeof key.value === 'string') {
      analysis.steps.push({ id: key.value, position: key.position ?? 0, field: undefined });
    }
  }
  if (node.type === 'lambda') {
    walkChildren(node, false, analysis, depth);
    return;
  }
  walkChildren(node, atRoot, analysis, depth);
}

function walkChildren(node: AstNode, atRoot: boolean, analysis: ExpressionAnalysis, depth: number): void {
  for (const [key, value] of Object.entries(node)) {
    if (key === 'steps' && node.type === 'path') continue;
    // Predicates, sort terms, group-bys and stages run against each item, not against the scope.
    const childAtRoot =
      atRoot && !['stages', 'predicate', 'group', 'terms', 'update', 'delete'].includes(key);
    visitValue(value, childAtRoot, analysis, depth + 1);
  }
}

function visitValue(value: unknown, atRoot: boolean, analysis: ExpressionAnalysis, depth: number): void {
  if (depth > MAX_AST_DEPTH) return;
  if (Array.isArray(value)) {
    for (const entry of value) visitValue(entry, atRoot, analysis, depth + 1);
    return;
  }
  if (isAstNode(value)) walk(value, atRoot, analysis, depth + 1);
}

/** Reads `steps.X…`, `$.steps.X…`, `$$.steps.X…`, `vars.X` and the root name of a path. */
function readPath(steps: AstNode[], atRoot: boolean, analysis: ExpressionAnalysis): void {
  let index = 0;
  const first = steps[0];
  const fromScopeVariable = first?.type === 'variable' && (first.value === '' || first.value === '$');
  if (fromScopeVariable) index = 1;
  const head = steps[index];
  if (head?.type !== 'name' || typeof head.value !== 'string') return;
  if (atRoot || fromScopeVariable) analysis.roots.push({ name: head.value, position: head.position ?? 0 });
  const next = steps[index + 1];
  if (head.value === 'steps' && next?.type === 'name' && typeof next.value === 'string') {
    const after = steps[index + 2];
    analysis.steps.push({
      id: next.value,
      position: next.position ?? 0,
      field: after?.type === 'name' && typeof after.value === 'string' ? after.value : undefined,
    });
  }
  if (
    head.value === 'vars' &&
    (atRoot || fromScopeVariable) &&
    next?.type === 'name' &&
    typeof next.value === 'string'
  ) {
    analysis.vars.push(next.value);
  }
}

function isLookupOfSteps(node: AstNode): boolean {
  const procedure = node.procedure;
  if (procedure?.type !== 'variable' || procedure.value !== 'lookup') return false;
  const target = node.arguments?.[0];
  if (target?.type !== 'path' || !Array.isArray(target.steps) || target.steps.length !== 1) return false;
  const only = target.steps[0];
  return only?.type === 'name' && only.value === 'steps';
}
