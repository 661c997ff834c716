// A small evaluator of the Airtable formula subset the fake understands: literals ("text" with \ escapes,
// numbers), {Field} references, = != > < >= <= &, and the functions AND OR NOT FIND LOWER TRUE FALSE
// CREATED_TIME DATETIME_PARSE IS_AFTER IS_BEFORE. Anything else is a syntax error, as Airtable would answer 422.

type Value = string | number | boolean | null;
type Row = { createdTime: string; fields: Record<string, unknown> };

export class FormulaSyntaxError extends Error {}

type Token = { kind: 'str' | 'num' | 'field' | 'name' | 'op' | 'paren' | 'comma'; text: string };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < source.length) {
    const char = source[index] ?? '';
    if (/\s/.test(char)) {
      index += 1;
    } else if (char === '"') {
      let text = '';
      index += 1;
      for (;;) {
        const next = source[index];
        if (next === undefined) throw new FormulaSyntaxError('unterminated string');
        index += 1;
        if (next === '"') break;
        if (next === '\\') {
          const escaped = source[index];
          index += 1;
          text += escaped === 'n' ? '\n' : escaped === 'r' ? '\r' : (escaped ?? '');
        } else text += next;
      }
      tokens.push({ kind: 'str', text });
    } else if (char === '{') {
      const end = source.indexOf('}', index);
      if (end < 0) throw new FormulaSyntaxError('unterminated field reference');
      tokens.push({ kind: 'field', text: source.slice(index + 1, end) });
      index = end + 1;
    } else if (/[0-9.]/.test(char)) {
      const match = /^-?[0-9]+(\.[0-9]+)?/.exec(source.slice(index));
      if (!match) throw new FormulaSyntaxError(`bad number at ${index}`);
      tokens.push({ kind: 'num', text: match[0] });
      index += match[0].length;
    } else if (/[A-Za-z_]/.test(char)) {
      const match = /^[A-Za-z_]+/.exec(source.slice(index));
      tokens.push({ kind: 'name', text: match?.[0] ?? '' });
      index += match?.[0].length ?? 1;
    } else if (char === '(' || char === ')') {
      tokens.push({ kind: 'paren', text: char });
      index += 1;
    } else if (char === ',') {
      tokens.push({ kind: 'comma', text: char });
      index += 1;
    } else {
      const match = /^(!=|>=|<=|=|>|<|&|-)/.exec(source.slice(index));
      if (!match) throw new FormulaSyntaxError(`unexpected ${char}`);
      tokens.push({ kind: 'op', text: match[0] });
      index += match[0].length;
    }
  }
  return tokens;
}

const asText = (value: Value) => (value === null ? '' : String(value));
const asTime = (value: Value) => (typeof value === 'string' ? Date.parse(value) : Number(value));

/** Whether `row` passes `formula` (a truthy result). Throws FormulaSyntaxError for what the subset does not parse. */
export function evaluateFormula(formula: string, row: Row): boolean {
  const tokens = tokenize(formula);
  let position = 0;
  const peek = () => tokens[position];
  const take = (kind?: Token['kind'], text?: string): Token => {
    const token = tokens[position];
    if (!token || (kind && token.kind !== kind) || (text && token.text !== text))
      throw new FormulaSyntaxError(`expected ${text ?? kind} at token ${position}`);
    position += 1;
    return token;
  };
  const call = (name: string, args: Value[]): Value => {
    switch (name.toUpperCase()) {
      case 'AND':
        return args.every(Boolean);
      case 'OR':
        return args.some(Boolean);
      case 'NOT':
        return !args[0];
      case 'TRUE':
        return true;
      case 'FALSE':
        return false;
      case 'LOWER':
        return asText(args[0] ?? null).toLowerCase();
      case 'FIND': {
        const found = asText(args[1] ?? null).indexOf(asText(args[0] ?? null));
        return found + 1;
      }
      case 'CREATED_TIME':
        return row.createdTime;
      case 'DATETIME_PARSE':
        return new Date(asText(args[0] ?? null)).toISOString();
      case 'IS_AFTER':
        return asTime(args[0] ?? null) > asTime(args[1] ?? null);
      case 'IS_BEFORE':
        return asTime(args[0] ?? null) < asTime(args[1] ?? null);
      default:
        throw new FormulaSyntaxError(`unknown function ${name}`);
    }
  };
  const primary = (): Value => {
    const token = take();
    if (token.kind === 'str') return token.text;
    if (token.kind === 'num') return Number(token.text);
    if (token.kind === 'field') {
      const value = row.fields[token.text];
      return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
        ? value
        : null;
    }
    if (token.kind === 'paren' && token.text === '(') {
      const inner = expression();
      take('paren', ')');
      return inner;
    }
    if (token.kind === 'name') {
      take('paren', '(');
      const args: Value[] = [];
      if (peek()?.text !== ')') {
        args.push(expression());
        while (peek()?.kind === 'comma') {
          take('comma');
          args.push(expression());
        }
      }
      take('paren', ')');
      return call(token.text, args);
    }
    throw new FormulaSyntaxError(`unexpected ${token.text}`);
  };
  const concat = (): Value => {
    let left = primary();
    while (peek()?.text === '&') {
      take('op');
      left = asText(left) + asText(primary());
    }
    return left;
  };
  const expression = (): Value => {
    const left = concat();
    const op = peek();
    if (op?.kind !== 'op' || op.text === '&') return left;
    take('op');
    const right = concat();
    switch (op.text) {
      case '=':
        return typeof left === 'number' || typeof right === 'number'
          ? Number(left) === Number(right)
          : asText(left) === asText(right);
      case '!=':
        return asText(left) !== asText(right);
      case '>':
        return Number(left) > Number(right);
      case '<':
        return Number(left) < Number(right);
      case '>=':
        return Number(left) >= Number(right);
      case '<=':
        return Number(left) <= Number(right);
      default:
        throw new FormulaSyntaxError(`unexpected ${op.text}`);
    }
  };
  const result = expression();
  if (position !== tokens.length) throw new FormulaSyntaxError('trailing input');
  return Boolean(result);
}
