import { z } from 'zod';
import { joinPointer } from './json-pointer.ts';
import { hasTemplate, wholeExpression } from './template-syntax.ts';
import type { ValidationIssue } from './validation-issue.ts';

type ZodIssue = z.core.$ZodIssue;

function valueAt(root: unknown, path: readonly PropertyKey[]): { found: boolean; value: unknown } {
  let current: unknown = root;
  for (const key of path) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) {
      return { found: false, value: undefined };
    }
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return { found: true, value: current };
}

/**
 * A `{{ }}` value cannot be type-checked statically. A value that is exactly one expression may become any type,
 * so every issue about it is dropped. Text with expressions is a string at run time: only a complaint that the
 * field is not a string at all is kept.
 */
function isCoveredByExpression(issue: ZodIssue, withValue: unknown): boolean {
  const { value } = valueAt(withValue, issue.path);
  if (typeof value !== 'string' || !hasTemplate(value)) return false;
  if (wholeExpression(value) !== undefined) return true;
  return !(issue.code === 'invalid_type' && issue.expected !== 'string');
}

/** The schema of a nested field, for its description and allowed keys (best effort through wrappers). */
function schemaAt(schema: z.ZodType, path: readonly PropertyKey[]): z.ZodType | undefined {
  let current: z.ZodType | undefined = schema;
  for (const key of path) {
    current = unwrap(current);
    if (current instanceof z.ZodObject && typeof key === 'string')
      current = current.shape[key] as z.ZodType | undefined;
    else if (current instanceof z.ZodArray) current = current.element as z.ZodType;
    else if (current instanceof z.ZodRecord) current = current.valueType as z.ZodType;
    else return undefined;
    if (current === undefined) return undefined;
  }
  return current;
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let current = schema;
  for (let guard = 0; guard < 10; guard += 1) {
    if (
      current instanceof z.ZodOptional ||
      current instanceof z.ZodDefault ||
      current instanceof z.ZodNullable
    ) {
      current = current.unwrap() as z.ZodType;
    } else return current;
  }
  return current;
}

const dotted = (path: readonly PropertyKey[]): string =>
  ['with', ...path.map((key) => (typeof key === 'number' ? `[${key}]` : String(key)))]
    .join('.')
    .replaceAll('.[', '[');

export type ParamsContext = { nodeId: string; uses: string; pointer: string };

/** Checks a node's `with` against its catalog schema; expression values are accepted where they may fit. */
export function checkParams(
  schema: z.ZodType,
  withValue: Record<string, unknown>,
  context: ParamsContext,
): ValidationIssue[] {
  let result: ReturnType<z.ZodType['safeParse']>;
  try {
    result = schema.safeParse(withValue);
  } catch (error) {
    return [
      {
        code: 'E_PARAMS',
        path: context.pointer,
        message: `node "${context.nodeId}" (${context.uses}): its parameters could not be checked: ${error instanceof Error ? error.message : String(error)}`,
        hint: `Give "with" the parameters ${context.uses} documents.`,
      },
    ];
  }
  if (result.success) return [];
  const issues: ValidationIssue[] = [];
  for (const issue of result.error.issues) {
    if (isCoveredByExpression(issue, withValue)) continue;
    issues.push(...toParamsIssues(issue, schema, withValue, context));
  }
  return issues;
}

function toParamsIssues(
  issue: ZodIssue,
  schema: z.ZodType,
  withValue: unknown,
  context: ParamsContext,
): ValidationIssue[] {
  const label = `node "${context.nodeId}" (${context.uses})`;
  const pointer = joinPointer(
    context.pointer,
    ...issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key)),
  );
  if (issue.code === 'unrecognized_keys') {
    const container = unwrap(schemaAt(schema, issue.path));
    const allowed = container instanceof z.ZodObject ? Object.keys(container.shape) : [];
    return issue.keys.map((key) => ({
      code: 'E_PARAMS',
      path: joinPointer(pointer, key),
      message: `${label}: ${dotted([...issue.path, key])} is not a parameter of ${context.uses}`,
      hint:
        allowed.length > 0
          ? `Remove "${key}" (check its spelling); ${context.uses} accepts: ${allowed.join(', ')}.`
          : `Remove "${key}": ${context.uses} takes no such parameter.`,
    }));
  }
  const field = schemaAt(schema, issue.path);
  const description = field?.description ? ` (${field.description})` : '';
  const present = valueAt(withValue, issue.path).found;
  const where = dotted(issue.path);
  if (issue.code === 'invalid_type' && !present) {
    return [
      {
        code: 'E_PARAMS',
        path: pointer,
        message: `${label}: required parameter ${where} is missing`,
        hint: `Add "${String(issue.path[issue.path.length - 1] ?? '')}" to with${description}.`,
      },
    ];
  }
  if (issue.code === 'invalid_type') {
    return [
      {
        code: 'E_PARAMS',
        path: pointer,
        message: `${label}: ${where} must be ${issue.expected}: ${issue.message}`,
        hint: `Set ${where} to a ${issue.expected}${description}, or to one "{{ }}" expression that yields one.${
          issue.expected === 'boolean' ? ' A condition written as text needs {{ }} around it.' : ''
        }`,
      },
    ];
  }
  return [
    {
      code: 'E_PARAMS',
      path: pointer,
      message: `${label}: ${issue.path.length > 0 ? where : 'with'} is invalid: ${issue.message}`,
      hint: `Fix ${issue.path.length > 0 ? where : 'with'}${description}: ${issue.message}.`,
    },
  ];
}
