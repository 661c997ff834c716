import type jsonata from 'jsonata';
import { err, ok, type Result } from '../../lib/index.ts';
import { analyzeAst, type ExpressionAnalysis } from './expression-analysis.ts';
import {
  compile,
  DEFAULT_TIMEOUT_MS,
  DISABLED_FUNCTIONS,
  describeFailure,
  type EvaluateOptions,
  ExpressionError,
  type ExpressionScope,
  evaluateTemplateHere,
  MAX_TEMPLATE_DEPTH,
} from './expression-core.ts';
import { createExpressionPool, type ExpressionPool } from './expression-pool.ts';
import { joinPointer } from './json-pointer.ts';
import { hasTemplate, parseTemplate } from './template-syntax.ts';

export { type ExpressionAnalysis, SCOPE_ROOTS, type StepReference } from './expression-analysis.ts';
export {
  DISABLED_FUNCTIONS,
  type EvaluateOptions,
  ExpressionError,
  type ExpressionScope,
  MAX_TEMPLATE_DEPTH,
} from './expression-core.ts';
export { parseTemplate, type TemplatePart, wholeExpression } from './template-syntax.ts';

export type ExpressionSyntaxError = { message: string; position: number; jsonataCode: string | undefined };

export type FoundExpression = { pointer: string; source: string };
export type TemplateError = { pointer: string; message: string; position: number };

/** Parses one JSONata expression (the text between `{{` and `}}`) and lists what it reads. */
export function checkExpression(source: string): Result<ExpressionAnalysis, ExpressionSyntaxError> {
  let expression: jsonata.Expression;
  try {
    expression = compile(source, DEFAULT_TIMEOUT_MS);
  } catch (failure) {
    return err(describeFailure(failure));
  }
  const analysis = analyzeAst(expression.ast());
  const disabled = analysis.functions.find((name) =>
    (DISABLED_FUNCTIONS as readonly string[]).includes(name),
  );
  if (disabled !== undefined) {
    return err({
      message: `$${disabled}() is not available in workflow expressions`,
      position: 0,
      jsonataCode: undefined,
    });
  }
  return ok(analysis);
}

/** The step ids an expression reads through `steps.<id>` (from its AST, not by pattern). Empty when it does not parse. */
export function referencedSteps(source: string): string[] {
  const checked = checkExpression(source);
  if (!checked.ok) return [];
  return [...new Set(checked.value.steps.map((reference) => reference.id))];
}

/** Every `{{ … }}` inside a value (strings in nested objects and arrays) and every malformed template. */
export function scanTemplates(
  value: unknown,
  basePointer = '',
): { expressions: FoundExpression[]; errors: TemplateError[] } {
  const expressions: FoundExpression[] = [];
  const errors: TemplateError[] = [];
  const visit = (current: unknown, pointer: string, depth: number): void => {
    if (depth > MAX_TEMPLATE_DEPTH) return;
    if (typeof current === 'string') {
      if (!hasTemplate(current)) return;
      const parsed = parseTemplate(current);
      if (!parsed.ok) {
        errors.push({ pointer, ...parsed.error });
        return;
      }
      for (const part of parsed.value) {
        if (part.kind === 'expression') expressions.push({ pointer, source: part.source });
      }
      return;
    }
    if (Array.isArray(current)) {
      current.forEach((entry, index) => {
        visit(entry, joinPointer(pointer, index), depth + 1);
      });
      return;
    }
    if (typeof current === 'object' && current !== null) {
      for (const [key, entry] of Object.entries(current)) visit(entry, joinPointer(pointer, key), depth + 1);
    }
  };
  visit(value, basePointer, 0);
  return { expressions, errors };
}

/** Every `{{ … }}` inside a value, with the JSON Pointer (relative to the value) of the string holding it. */
export function findExpressions(value: unknown): FoundExpression[] {
  return scanTemplates(value).expressions;
}

let pool: ExpressionPool | undefined;

function refuseInProcess(pointer: string): never {
  throw new ExpressionError({
    code: 'EXPRESSION_FAILED',
    message: `the template at "${pointer || '/'}" could not be evaluated`,
    hint: 'Write expressions as "{{ <JSONata> }}", closing every "{{" with "}}".',
    details: { pointer },
  });
}

/** The process-wide pool of expression processes, forked on first use. */
function expressionPool(): ExpressionPool {
  pool ??= createExpressionPool();
  return pool;
}

/**
 * Evaluates the templates in a value from the workflow document: every string in nested objects and arrays.
 * A string that is exactly one `{{ … }}` keeps the expression's type; text around expressions makes a string
 * (objects and arrays inside text are written as JSON, undefined as nothing). Results are never evaluated
 * again, so data from triggers and steps is never treated as an expression.
 * Expressions run in a separate process (expression-pool.ts) killed when one overruns its limit, so no
 * expression (a backtracking regex, a huge string) can stall or crash this one. A value without expressions
 * is copied here: nothing in it is evaluated.
 * Throws ExpressionError (code EXPRESSION_FAILED) when an expression fails or runs too long.
 */
export async function evaluateTemplate(
  value: unknown,
  scope: ExpressionScope,
  options: EvaluateOptions = {},
): Promise<unknown> {
  const { expressions, errors } = scanTemplates(value);
  if (expressions.length === 0 && errors.length === 0) {
    // Nothing to evaluate: copied here. Should an expression turn up after all, it is refused, not run here.
    return evaluateTemplateHere(value, scope, options, refuseInProcess);
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return expressionPool().evaluate({ value, scope, timeoutMs, expressions });
}
