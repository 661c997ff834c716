import { fileLimitError } from '../file-errors.ts';
import { MAX_CHARS, MAX_DATA_DEPTH, MAX_ROWS } from '../limits.ts';

export function tooManyRows(name: string, maxRows: number) {
  return fileLimitError(
    'file.extract',
    `"${name}" has more than ${maxRows} rows (maxRows).`,
    `Raise maxRows (at most ${MAX_ROWS}) if the step output stays small enough, or split the file before it reaches the workflow.`,
    maxRows,
  );
}

export function tooMuchText(name: string, maxChars: number) {
  return fileLimitError(
    'file.extract',
    `the text of "${name}" is longer than ${maxChars} characters (maxChars).`,
    `Raise maxChars (at most ${MAX_CHARS}) if the step output stays small enough, or extract from a shorter document.`,
    maxChars,
  );
}

export function tooDeep(name: string) {
  return fileLimitError(
    'file.extract',
    `"${name}" nests deeper than ${MAX_DATA_DEPTH} levels.`,
    'Flatten the document before it reaches the workflow; step data holds at most that much nesting.',
    MAX_DATA_DEPTH,
  );
}

/** Fails when `value` nests objects and arrays deeper than MAX_DATA_DEPTH (walked without recursion). */
export function checkDepth(value: unknown, name: string): void {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const next = stack.pop();
    if (!next || typeof next.value !== 'object' || next.value === null) continue;
    if (next.depth >= MAX_DATA_DEPTH) throw tooDeep(name);
    for (const child of Object.values(next.value)) stack.push({ value: child, depth: next.depth + 1 });
  }
}
