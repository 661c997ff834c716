import { parseDocument } from 'yaml';
import { err, ok, type Result } from '../../lib/index.ts';
import { INPUT_ERROR_CODE, type ValidationIssue } from './validation-issue.ts';

/** Largest document accepted: 5 MiB. */
export const MAX_DOCUMENT_BYTES = 5 * 1024 * 1024;
/** Deepest nesting accepted (objects and arrays), checked before the schema. */
export const MAX_TEXT_DEPTH = 64;
/** YAML aliases allowed in one document: enough for real use, too few for an alias bomb. */
export const MAX_YAML_ALIASES = 100;

/** Why a text is not a document. exitCode 2: it cannot be read at all; 1: it is read but is no workflow document. */
export type DocumentTextIssue = ValidationIssue & { exitCode: 1 | 2 };

const unreadable = (message: string, hint: string): DocumentTextIssue => ({
  code: INPUT_ERROR_CODE,
  path: '',
  message,
  hint,
  exitCode: 2,
});

const notADocument = (message: string, hint: string): DocumentTextIssue => ({
  code: 'E_SCHEMA',
  path: '',
  message,
  hint,
  exitCode: 1,
});

const DOCUMENT_SHAPE =
  'A workflow document is an object: { "schemaVersion": 1, "name", "trigger", "nodes", "edges" }.';

/**
 * Turns JSON or YAML text (or raw bytes) into a plain value, refusing what could hurt the process: more than
 * 5 MiB, binary data, invalid UTF-8, nesting deeper than 64, YAML alias bombs. A leading BOM is ignored.
 * The result is still untrusted: pass it to validateWorkflow.
 */
export function parseDocumentText(input: string | Uint8Array): Result<unknown, DocumentTextIssue> {
  const byteLength = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
  if (byteLength > MAX_DOCUMENT_BYTES) {
    return err(
      unreadable(
        `the document is ${byteLength} bytes; the limit is ${MAX_DOCUMENT_BYTES} bytes (5 MiB)`,
        'Workflow documents are small: move large data out of the document (fetch it in a step instead).',
      ),
    );
  }
  let text: string;
  if (typeof input === 'string') text = input;
  else {
    if (input.includes(0)) return err(binary());
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch {
      return err(unreadable('the file is not valid UTF-8 text', 'Save the document as UTF-8 JSON or YAML.'));
    }
  }
  if (text.includes('\u0000')) return err(binary());
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') {
    return err(notADocument('the document is empty', `Write a workflow document. ${DOCUMENT_SHAPE}`));
  }
  if (bracketDepth(text, MAX_TEXT_DEPTH + 1) > MAX_TEXT_DEPTH + 1) return err(tooDeep());
  const looksLikeJson = /^\s*[{[]/.test(text);
  let value: unknown;
  if (looksLikeJson) {
    try {
      value = JSON.parse(text);
    } catch (error) {
      const yamlValue = parseYaml(text);
      if (!yamlValue.ok) {
        return err(
          unreadable(
            `the document is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
            'Fix the JSON syntax (quotes around keys and strings, no trailing commas), or write YAML.',
          ),
        );
      }
      value = yamlValue.value;
    }
  } else {
    const yamlValue = parseYaml(text);
    if (!yamlValue.ok) return err(yamlValue.error);
    value = yamlValue.value;
  }
  if (exceedsDepth(value, MAX_TEXT_DEPTH)) return err(tooDeep());
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'a list' : `a ${typeof value}`;
    return err(notADocument(`the document is ${kind}, not an object`, DOCUMENT_SHAPE));
  }
  return ok(value);
}

function binary(): DocumentTextIssue {
  return unreadable(
    'the file holds binary data (NUL bytes), not JSON or YAML text',
    'Pass a JSON or YAML text file.',
  );
}

function tooDeep(): DocumentTextIssue {
  return notADocument(
    `the document nests deeper than ${MAX_TEXT_DEPTH} levels`,
    `Flatten it: objects and lists may nest at most ${MAX_TEXT_DEPTH} levels.`,
  );
}

function parseYaml(text: string): Result<unknown, DocumentTextIssue> {
  try {
    const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true, strict: true });
    const [first] = document.errors;
    if (first) {
      return err(
        unreadable(
          `the document is not valid YAML: ${first.message.split('\n')[0]}`,
          'Fix the YAML syntax (indentation with spaces, "key: value" pairs, unique keys), or write JSON.',
        ),
      );
    }
    return ok(document.toJS({ maxAliasCount: MAX_YAML_ALIASES }));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof RangeError && !/alias/i.test(message)) return err(tooDeep());
    return err(
      unreadable(
        `the document could not be read as YAML: ${message}`,
        /alias/i.test(message)
          ? `Use fewer YAML aliases (at most ${MAX_YAML_ALIASES}); write the values out instead.`
          : 'Fix the YAML, or write JSON.',
      ),
    );
  }
}

/**
 * Nesting of `{`/`[` outside quoted strings: a cheap guard run before any parser sees deeply nested text.
 * Stops counting once past `limit`.
 */
function bracketDepth(text: string, limit: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (quote !== undefined) {
      if (char === '\\') index += 1;
      else if (char === quote) quote = undefined;
      continue;
    }
    if (char === '"') quote = char;
    else if (char === '{' || char === '[') {
      depth += 1;
      if (depth > limit) return depth;
    } else if (char === '}' || char === ']') depth = Math.max(0, depth - 1);
  }
  return depth;
}

function exceedsDepth(root: unknown, limit: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value: root, depth: 0 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= limit) return true;
    for (const entry of Object.values(value)) {
      if (typeof entry === 'object' && entry !== null) stack.push({ value: entry, depth: depth + 1 });
    }
  }
  return false;
}
