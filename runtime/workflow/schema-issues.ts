import type { z } from 'zod';
import { closestMatches } from './closest-matches.ts';
import { toPointer } from './json-pointer.ts';
import type { ValidationIssue } from './validation-issue.ts';

type ZodIssue = z.core.$ZodIssue;

const ID_RULE =
  'start with a letter, then only letters, digits or _ (at most 63 characters), e.g. "postToSlack"';

const FIELD_HINTS: Record<string, string> = {
  schemaVersion: 'Set "schemaVersion": 1 at the top level.',
  name: 'Set "name" to a short human name (1–200 characters).',
  description: '"description" is optional text of at most 4000 characters.',
  trigger:
    'Set "trigger" to an object such as { "type": "manual" }, { "type": "webhook" }, ' +
    '{ "type": "schedule", "cron": "0 9 * * 1-5" }, { "type": "chat" } or { "type": "<connector>.<trigger>" }.',
  type: 'Set "trigger.type" to manual, webhook, form, schedule, chat, workflow.failed or a connector trigger "<connector>.<trigger>".',
  cron: '"cron" is a cron expression string, e.g. "0 9 * * 1-5".',
  timezone: '"timezone" is an IANA time zone string, e.g. "Europe/Paris".',
  vars: '"vars" is an object of constants, read as vars.<name> in expressions.',
  nodes:
    '"nodes" is a non-empty list of steps, e.g. [ { "id": "post", "uses": "slack.postMessage", "with": { … } } ].',
  edges: '"edges" is a list of { "from": "<id>", "to": "<id>", optional "branch" }.',
  id: `A node id must ${ID_RULE}. Rename it and update edges and steps.<id> references too.`,
  from: `"from" names a node id: it must ${ID_RULE}.`,
  to: `"to" names a node id: it must ${ID_RULE}.`,
  branch:
    '"branch" is a non-empty string naming a branch of the source node (e.g. "true", "false", "error").',
  uses: '"uses" is "<connector>.<action>" or "core.<node>", e.g. "slack.postMessage" or "core.if".',
  with: '"with" is an object of the action\'s parameters.',
  credential: '"credential" is the name of a stored credential (a string), never the secret itself.',
  retry: '"retry" is an object: { "maxAttempts": 1–25 }.',
  maxAttempts: '"retry.maxAttempts" is a whole number from 1 to 25 (default 3).',
  initialDelayMs: '"retry.initialDelayMs" is a whole number of milliseconds from 0 to 3600000.',
  maxDelayMs: '"retry.maxDelayMs" is a whole number of milliseconds from 0 to 86400000.',
  timeoutMs: '"timeoutMs" is a whole number of milliseconds from 1 to 86400000.',
  onError: '"onError" is "fail" (default), "continue" or "route" (then follow edges with branch "error").',
  do: '"do" (core.foreach only) is { "nodes": [ … ], "edges": [ … ] }, the body run once per item.',
};

function describeProblem(issue: ZodIssue, input: unknown): string {
  if (issue.code === 'invalid_type') {
    const present = valueAt(input, issue.path);
    return present.found ? `must be ${issue.expected}` : 'is missing';
  }
  return issue.message;
}

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

const lastName = (path: readonly PropertyKey[]): string => {
  for (let index = path.length - 1; index >= 0; index -= 1) {
    const key = path[index];
    if (typeof key === 'string') return key;
  }
  return '';
};

const describePath = (path: readonly PropertyKey[]): string =>
  path.length === 0
    ? 'the document'
    : path
        .map((key) => (typeof key === 'number' ? `[${key}]` : String(key)))
        .join('.')
        .replaceAll('.[', '[');

/** Turns the workflow schema's issues into validation issues (E_SCHEMA; bad `uses` and trigger types get their own code). */
export function toSchemaIssues(
  issues: readonly ZodIssue[],
  input: unknown,
  known: { actions: string[]; triggers: string[] },
): ValidationIssue[] {
  return issues.map((issue) => {
    const path = issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key));
    const pointer = toPointer(path);
    const field = lastName(path);
    const problem = describeProblem(issue, input);
    const where = describePath(path);
    const { value } = valueAt(input, path);
    if (field === 'uses' && typeof value === 'string') {
      const suggestions = closestMatches(value, known.actions);
      return {
        code: 'E_UNKNOWN_ACTION',
        path: pointer,
        message: `${where}: "${value.slice(0, 100)}" is not a known action or core node`,
        hint: `${FIELD_HINTS.uses}${suggestions.length > 0 ? ` Did you mean ${suggestions.map((s) => `"${s}"`).join(', ')}?` : ''}`,
      };
    }
    if (path.length === 2 && path[0] === 'trigger' && field === 'type' && typeof value === 'string') {
      const suggestions = closestMatches(value, known.triggers);
      return {
        code: 'E_TRIGGER',
        path: pointer,
        message: `trigger.type "${value.slice(0, 100)}" is not a trigger`,
        hint: `${FIELD_HINTS.type}${suggestions.length > 0 ? ` Did you mean ${suggestions.map((s) => `"${s}"`).join(', ')}?` : ''}`,
      };
    }
    if (issue.code === 'unrecognized_keys') {
      return {
        code: 'E_SCHEMA',
        path: pointer,
        message: `${where} has unknown fields: ${issue.keys.join(', ')}`,
        hint: `Remove ${issue.keys.map((key) => `"${key}"`).join(', ')}.`,
      };
    }
    if (path[0] === 'schemaVersion') {
      return {
        code: 'E_SCHEMA',
        path: pointer,
        message: `schemaVersion ${problem === 'is missing' ? 'is missing' : `must be 1 (got ${JSON.stringify(value)?.slice(0, 40)})`}`,
        hint: FIELD_HINTS.schemaVersion ?? '',
      };
    }
    const hint = FIELD_HINTS[field] ?? `Fix ${where}: ${issue.message}.`;
    return { code: 'E_SCHEMA', path: pointer, message: `${where} ${problem}`, hint };
  });
}
