/**
 * The slice of SOQL the Salesforce fake understands: `SELECT f, … FROM Object [WHERE a op v AND …] [ORDER BY f
 * [ASC|DESC]] [LIMIT n]` with `=, !=, <, <=, >, >=, IN (…)`, quoted strings with SOQL's backslash escapes,
 * numbers, TRUE/FALSE/NULL and unquoted datetimes. Anything else is MALFORMED_QUERY, as Salesforce answers.
 */
export type SoqlQuery = {
  fields: string[];
  from: string;
  where: { field: string; op: string; values: Literal[] }[];
  orderBy?: { field: string; descending: boolean };
  limit?: number;
};

type Literal = {
  kind: 'string' | 'number' | 'datetime' | 'boolean' | 'null';
  value: string | number | boolean | null;
};
type Token =
  | { kind: 'word' | 'op' | 'punct'; text: string }
  | { kind: 'literal'; text: string; literal: Literal };

export class SoqlSyntaxError extends Error {}

const UNESCAPE: Record<string, string> = {
  n: '\n',
  r: '\r',
  t: '\t',
  b: '\b',
  f: '\f',
  '\\': '\\',
  "'": "'",
  '"': '"',
};

function tokenize(soql: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < soql.length) {
    const rest = soql.slice(index);
    const space = /^\s+/.exec(rest);
    if (space) {
      index += space[0].length;
      continue;
    }
    if (rest[0] === "'") {
      let value = '';
      let at = 1;
      for (; at < rest.length && rest[at] !== "'"; at++) {
        if (rest[at] === '\\') {
          const escaped = UNESCAPE[rest[at + 1] ?? ''];
          if (escaped === undefined) throw new SoqlSyntaxError(`invalid escape sequence at ${index + at}`);
          value += escaped;
          at++;
        } else value += rest[at];
      }
      if (at >= rest.length) throw new SoqlSyntaxError('unterminated string literal');
      tokens.push({ kind: 'literal', text: rest.slice(0, at + 1), literal: { kind: 'string', value } });
      index += at + 1;
      continue;
    }
    const datetime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?(Z|[+-]\d{2}:\d{2})/.exec(rest);
    if (datetime) {
      tokens.push({ kind: 'literal', text: datetime[0], literal: { kind: 'datetime', value: datetime[0] } });
      index += datetime[0].length;
      continue;
    }
    const number = /^-?\d+(\.\d+)?/.exec(rest);
    if (number) {
      tokens.push({
        kind: 'literal',
        text: number[0],
        literal: { kind: 'number', value: Number(number[0]) },
      });
      index += number[0].length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(rest);
    if (word) {
      tokens.push({ kind: 'word', text: word[0] });
      index += word[0].length;
      continue;
    }
    const op = /^(>=|<=|!=|=|<|>)/.exec(rest);
    if (op) {
      tokens.push({ kind: 'op', text: op[0] });
      index += op[0].length;
      continue;
    }
    if (rest[0] === ',' || rest[0] === '(' || rest[0] === ')') {
      tokens.push({ kind: 'punct', text: rest[0] });
      index += 1;
      continue;
    }
    throw new SoqlSyntaxError(`unexpected token: '${rest.slice(0, 10)}'`);
  }
  return tokens;
}

export function parseSoql(soql: string): SoqlQuery {
  const tokens = tokenize(soql);
  let at = 0;
  const peek = () => tokens[at];
  const keyword = (word: string) => peek()?.kind === 'word' && peek()?.text.toUpperCase() === word;
  const expectKeyword = (word: string) => {
    if (!keyword(word)) throw new SoqlSyntaxError(`expected ${word} at '${peek()?.text ?? 'end'}'`);
    at++;
  };
  const identifier = () => {
    const token = tokens[at++];
    if (token?.kind !== 'word') throw new SoqlSyntaxError(`unexpected token: '${token?.text ?? 'end'}'`);
    return token.text;
  };
  const literal = (): Literal => {
    const token = tokens[at++];
    if (token?.kind === 'literal') return token.literal;
    if (token?.kind === 'word' && /^(TRUE|FALSE)$/i.test(token.text))
      return { kind: 'boolean', value: token.text.toUpperCase() === 'TRUE' };
    if (token?.kind === 'word' && /^NULL$/i.test(token.text)) return { kind: 'null', value: null };
    throw new SoqlSyntaxError(`unexpected token: '${token?.text ?? 'end'}'`);
  };
  expectKeyword('SELECT');
  const fields = [identifier()];
  while (peek()?.text === ',') {
    at++;
    fields.push(identifier());
  }
  expectKeyword('FROM');
  const from = identifier();
  const where: SoqlQuery['where'] = [];
  if (keyword('WHERE')) {
    at++;
    for (;;) {
      const field = identifier();
      if (keyword('IN')) {
        at++;
        if (tokens[at++]?.text !== '(') throw new SoqlSyntaxError('expected ( after IN');
        const values = [literal()];
        while (peek()?.text === ',') {
          at++;
          values.push(literal());
        }
        if (tokens[at++]?.text !== ')') throw new SoqlSyntaxError('expected ) after the IN list');
        where.push({ field, op: 'IN', values });
      } else {
        const op = tokens[at++];
        if (op?.kind !== 'op') throw new SoqlSyntaxError(`unexpected token: '${op?.text ?? 'end'}'`);
        where.push({ field, op: op.text, values: [literal()] });
      }
      if (!keyword('AND')) break;
      at++;
    }
  }
  let orderBy: SoqlQuery['orderBy'];
  if (keyword('ORDER')) {
    at++;
    expectKeyword('BY');
    const field = identifier();
    let descending = false;
    if (keyword('DESC') || keyword('ASC')) descending = tokens[at++]?.text.toUpperCase() === 'DESC';
    orderBy = { field, descending };
  }
  let limit: number | undefined;
  if (keyword('LIMIT')) {
    at++;
    const value = literal();
    if (value.kind !== 'number') throw new SoqlSyntaxError('LIMIT needs a number');
    limit = Number(value.value);
  }
  if (at < tokens.length) throw new SoqlSyntaxError(`unexpected token: '${tokens[at]?.text}'`);
  return { fields, from, where, ...(orderBy ? { orderBy } : {}), ...(limit === undefined ? {} : { limit }) };
}

function comparable(
  value: unknown,
  literal: Literal,
): [number | string | boolean | null, number | string | boolean | null] {
  if (literal.kind === 'datetime')
    return [
      Date.parse(String(value).replace(/([+-]\d{2})(\d{2})$/, '$1:$2')),
      Date.parse(String(literal.value)),
    ];
  return [value === undefined ? null : (value as string | number | boolean | null), literal.value];
}

export function matchesWhere(record: Record<string, unknown>, where: SoqlQuery['where']): boolean {
  return where.every(({ field, op, values }) => {
    const value = record[field];
    if (op === 'IN')
      return values.some((literal) => comparable(value, literal)[1] === comparable(value, literal)[0]);
    const [left, right] = comparable(value, values[0] ?? { kind: 'null', value: null });
    if (left === null || right === null)
      return op === '=' ? left === right : op === '!=' ? left !== right : false;
    switch (op) {
      case '=':
        return left === right;
      case '!=':
        return left !== right;
      case '<':
        return left < right;
      case '<=':
        return left <= right;
      case '>':
        return left > right;
      default:
        return left >= right;
    }
  });
}
