// Evaluating `{{ }}` templates with JSONata. Only the expression process (expression-child.ts) calls
// evaluateTemplateHere: a native call inside JSONata (a backtracking regex, a huge string) cannot be stopped
// from the same thread, so the parent evaluates through expression-pool.ts, which kills a process that overruns.
import jsonata from 'jsonata';
import { AppError } from '../../lib/errors.ts';
import { joinPointer } from './json-pointer.ts';
import { hasTemplate, parseTemplate, wholeExpression } from './template-syntax.ts';

/** What `{{ … }}` expressions read: `{ trigger, steps: { <id>: { output } }, item, index, vars }`. */
export type ExpressionScope = {
  trigger: unknown;
  steps: Record<string, { output: unknown }>;
  item?: unknown;
  index?: number;
  vars?: Record<string, unknown>;
};

export type EvaluateOptions = {
  /** Wall-clock limit per expression (default 1000 ms). */
  timeoutMs?: number;
};

/** Called just before each expression is evaluated (the expression process reports it to its parent). */
export type OnExpression = (pointer: string, source: string) => void;

/** Functions a workflow's expressions may not call. `$eval` would run data (e.g. trigger input) as code. */
export const DISABLED_FUNCTIONS = ['eval'] as const;

export const DEFAULT_TIMEOUT_MS = 1000;
/** JSONata evaluation depth (nested calls and recursion) before it stops with D1011. */
const MAX_EVALUATION_DEPTH = 400;
/** Longest sequence an expression may build. */
const MAX_SEQUENCE_LENGTH = 100_000;
/** Deepest value (in the document or in a result) walked. */
export const MAX_TEMPLATE_DEPTH = 64;
const CACHE_LIMIT = 2000;

/** An expression failed to parse or to evaluate at run time. */
export class ExpressionError extends AppError {}

const cache = new Map<string, jsonata.Expression>();

export function compile(source: string, timeoutMs: number): jsonata.Expression {
  const key = `${timeoutMs}\u0000${source}`;
  const cached = cache.get(key);
  if (cached) {
    cache.delete(key);
    cache.set(key, cached);
    return cached;
  }
  const expression = jsonata(source, {
    timeout: timeoutMs,
    stack: MAX_EVALUATION_DEPTH,
    sequence: MAX_SEQUENCE_LENGTH,
  });
  for (const name of DISABLED_FUNCTIONS) {
    expression.registerFunction(name, () => {
      throw { code: 'VMESH01', message: `$${name} is not available in workflow expressions` };
    });
  }
  cache.set(key, expression);
  if (cache.size > CACHE_LIMIT) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  return expression;
}

type JsonataFailure = { code?: unknown; message?: unknown; position?: unknown; token?: unknown };

export function describeFailure(failure: unknown): {
  message: string;
  position: number;
  jsonataCode: string | undefined;
} {
  if (failure instanceof RangeError) {
    const message = /string length/i.test(failure.message)
      ? 'the expression built a string longer than JavaScript allows'
      : 'the expression nests too deeply';
    return { message, position: 0, jsonataCode: undefined };
  }
  const value = (typeof failure === 'object' && failure !== null ? failure : {}) as JsonataFailure;
  const message = typeof value.message === 'string' && value.message !== '' ? value.message : String(failure);
  return {
    message,
    position: typeof value.position === 'number' ? value.position : 0,
    jsonataCode: typeof value.code === 'string' ? value.code : undefined,
  };
}

/**
 * Evaluates the templates in a value from the workflow document: every string in nested objects and arrays.
 * A string that is exactly one `{{ … }}` keeps the expression's type; text around expressions makes a string
 * (objects and arrays inside text are written as JSON, undefined as nothing). Results are never evaluated
 * again, so data from triggers and steps is never treated as an expression.
 * Throws ExpressionError (code EXPRESSION_FAILED) when an expression fails or runs too long.
 */
export async function evaluateTemplateHere(
  value: unknown,
  scope: ExpressionScope,
  options: EvaluateOptions = {},
  onExpression: OnExpression = () => {},
): Promise<unknown> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const input: Record<string, unknown> = {
    trigger: scope.trigger,
    steps: scope.steps,
    vars: scope.vars ?? {},
  };
  if (scope.item !== undefined) input.item = scope.item;
  if (scope.index !== undefined) input.index = scope.index;
  return evaluateValue(value, { input, timeoutMs, onExpression }, '', 0);
}

type Evaluation = { input: Record<string, unknown>; timeoutMs: number; onExpression: OnExpression };

async function evaluateValue(
  value: unknown,
  evaluation: Evaluation,
  pointer: string,
  depth: number,
): Promise<unknown> {
  if (depth > MAX_TEMPLATE_DEPTH) {
    throw new ExpressionError({
      code: 'EXPRESSION_FAILED',
      message: `the value at "${pointer}" nests deeper than ${MAX_TEMPLATE_DEPTH} levels`,
      hint: 'Flatten the parameter value.',
      details: { pointer },
    });
  }
  if (typeof value === 'string') return evaluateString(value, evaluation, pointer);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const [index, entry] of value.entries()) {
      out.push(await evaluateValue(entry, evaluation, joinPointer(pointer, index), depth + 1));
    }
    return out;
  }
  if (typeof value === 'object' && value !== null) {
    const entries: [string, unknown][] = [];
    for (const [key, entry] of Object.entries(value)) {
      entries.push([key, await evaluateValue(entry, evaluation, joinPointer(pointer, key), depth + 1)]);
    }
    return Object.fromEntries(entries);
  }
  return value;
}

async function evaluateString(text: string, evaluation: Evaluation, pointer: string): Promise<unknown> {
  if (!hasTemplate(text)) return text;
  const whole = wholeExpression(text);
  if (whole !== undefined) return runExpression(whole, evaluation, pointer);
  const parsed = parseTemplate(text);
  if (!parsed.ok) {
    throw new ExpressionError({
      code: 'EXPRESSION_FAILED',
      message: `the template at "${pointer}" is malformed: ${parsed.error.message}`,
      hint: 'Close every "{{" with "}}".',
      details: { pointer, position: parsed.error.position },
    });
  }
  let out = '';
  for (const part of parsed.value) {
    if (part.kind === 'text') out += part.text;
    else out += interpolate(await runExpression(part.source, evaluation, pointer));
  }
  return out;
}

function interpolate(value: unknown): string {
  if (value === undefined || value === null) return value === null ? 'null' : '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

async function runExpression(source: string, evaluation: Evaluation, pointer: string): Promise<unknown> {
  const { input, timeoutMs } = evaluation;
  evaluation.onExpression(pointer, source);
  let result: unknown;
  try {
    result = await compile(source, timeoutMs).evaluate(input);
  } catch (failure) {
    const described = describeFailure(failure);
    const timedOut = described.jsonataCode === 'D1012';
    throw new ExpressionError({
      code: 'EXPRESSION_FAILED',
      message: `the expression {{${source}}} at "${pointer || '/'}" failed: ${described.message}`,
      hint: timedOut
        ? `Expressions must finish within ${timeoutMs} ms; simplify it or move the work into a core.code node.`
        : 'Fix the expression; it is evaluated against { trigger, steps: { <id>: { output } }, item, index, vars }.',
      details: { pointer, source, position: described.position, jsonataCode: described.jsonataCode },
      cause: failure,
    });
  }
  return toPlainJson(result, 0);
}

/** JSONata results may be sequences (arrays with extra flags) or functions: keep plain JSON only. */
function toPlainJson(value: unknown, depth: number): unknown {
  if (depth > MAX_TEMPLATE_DEPTH * 4) {
    throw new ExpressionError({
      code: 'EXPRESSION_FAILED',
      message: 'an expression returned a value nested too deeply',
      hint: 'Return a flatter value.',
    });
  }
  if (typeof value === 'function') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map((entry) => toPlainJson(entry, depth + 1) ?? null);
  if (typeof value === 'object' && value !== null) {
    const entries: [string, unknown][] = [];
    for (const [key, entry] of Object.entries(value)) {
      const plain = toPlainJson(entry, depth + 1);
      if (plain !== undefined) entries.push([key, plain]);
    }
    return Object.fromEntries(entries);
  }
  return value;
}
