import { err, ok, type Result } from '../../lib/result.ts';

export type TemplatePart =
  | { kind: 'text'; text: string }
  /** `offset` is where the expression source starts inside the template string. */
  | { kind: 'expression'; source: string; offset: number };

export type TemplateSyntaxError = { message: string; position: number };

const OPEN = '{{';

/** Whether a string holds any `{{` at all (cheap pre-check before parsing). */
export function hasTemplate(text: string): boolean {
  return text.includes(OPEN);
}

/**
 * Splits a template string into text and `{{ … }}` expression parts. The end of an expression is the
 * first `}}` outside JSONata strings, comments and object constructors, so `{{ {"a": {"b": 1}} }}` works.
 * There is no escape for a literal `{{`: write it with an expression, e.g. `{{ '{{' }}`.
 */
export function parseTemplate(text: string): Result<TemplatePart[], TemplateSyntaxError> {
  const parts: TemplatePart[] = [];
  let cursor = 0;
  while (cursor < text.length) {
    const open = text.indexOf(OPEN, cursor);
    if (open === -1) break;
    if (open > cursor) parts.push({ kind: 'text', text: text.slice(cursor, open) });
    const start = open + OPEN.length;
    const end = findExpressionEnd(text, start);
    if (end === -1) {
      return err({ message: 'an expression opened with "{{" is never closed with "}}"', position: open });
    }
    const source = text.slice(start, end);
    if (source.trim() === '') return err({ message: 'an expression "{{ }}" is empty', position: open });
    parts.push({ kind: 'expression', source, offset: start });
    cursor = end + 2;
  }
  if (cursor < text.length) parts.push({ kind: 'text', text: text.slice(cursor) });
  return ok(parts);
}

/** The index of the closing `}}` of an expression starting at `start`, or -1. */
function findExpressionEnd(text: string, start: number): number {
  let depth = 0;
  let index = start;
  while (index < text.length) {
    const char = text[index];
    if (char === '"' || char === "'" || char === '`') {
      index = skipQuoted(text, index, char);
      continue;
    }
    if (char === '/' && text[index + 1] === '*') {
      const close = text.indexOf('*/', index + 2);
      if (close === -1) return -1;
      index = close + 2;
      continue;
    }
    if (char === '{') depth += 1;
    else if (char === '}') {
      if (depth === 0 && text[index + 1] === '}') return index;
      if (depth > 0) depth -= 1;
    }
    index += 1;
  }
  return -1;
}

function skipQuoted(text: string, start: number, quote: string): number {
  let index = start + 1;
  while (index < text.length) {
    const char = text[index];
    if (char === '\\' && quote !== '`') {
      index += 2;
      continue;
    }
    if (char === quote) return index + 1;
    index += 1;
  }
  return text.length;
}

/**
 * The expression source when the whole string (ignoring surrounding whitespace) is exactly one `{{ … }}`:
 * such a value keeps the expression's type. Otherwise undefined.
 */
export function wholeExpression(text: string): string | undefined {
  if (!hasTemplate(text)) return undefined;
  const trimmed = text.trim();
  if (!trimmed.startsWith(OPEN)) return undefined;
  const parsed = parseTemplate(trimmed);
  if (!parsed.ok || parsed.value.length !== 1) return undefined;
  const [only] = parsed.value;
  return only?.kind === 'expression' ? only.source : undefined;
}
