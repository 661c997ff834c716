import { ConnectorError } from '../sdk/connector-error.ts';

/** A value bound to a `:name` placeholder: quoted and escaped as SOQL literals, never spliced in as text. */
export type SoqlValue = string | number | boolean | null | readonly (string | number | boolean | null)[];

const PLACEHOLDER = /:([A-Za-z_][A-Za-z0-9_]{0,63})/y;
const MAX_IN_VALUES = 1000;

/** SOQL string literal escapes (Salesforce's "Quoted String Escape Sequences"). */
function quote(text: string): string {
  const escaped = text.replace(/[\\'"\n\r\t\b\f]/g, (char) => {
    switch (char) {
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      case '\b':
        return '\\b';
      case '\f':
        return '\\f';
      default:
        return `\\${char}`;
    }
  });
  return `'${escaped}'`;
}

function literal(value: string | number | boolean | null, name: string): string {
  if (value === null) return 'NULL';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw bindError(`:${name} is not a finite number.`);
    return String(value);
  }
  return quote(value);
}

function bindError(message: string): ConnectorError {
  return new ConnectorError({
    code: 'E_PARAMS',
    message: `salesforce.query: ${message}`,
    retryable: false,
    hint: 'Write each value as a :name placeholder in the SOQL and give it in `params` (e.g. "WHERE Email = :email" with params {"email": "{{ trigger.email }}"}).',
  });
}

/** The `:name` placeholders outside string literals, in order (a name may repeat). */
export function soqlPlaceholders(soql: string): string[] {
  const names: string[] = [];
  let quoted = false;
  for (let index = 0; index < soql.length; index++) {
    const char = soql[index];
    if (quoted) {
      if (char === '\\') index++;
      else if (char === "'") quoted = false;
      continue;
    }
    if (char === "'") {
      quoted = true;
      continue;
    }
    if (char !== ':') continue;
    PLACEHOLDER.lastIndex = index;
    const match = PLACEHOLDER.exec(soql);
    if (match?.[1]) names.push(match[1]);
  }
  return names;
}

/**
 * The SOQL with every `:name` outside a string literal replaced by its value as a literal (lists as `(a, b)` for
 * IN). A placeholder without a value, or a value no placeholder uses, is an error: a typo never queries everything.
 */
export function bindSoql(soql: string, params: Readonly<Record<string, SoqlValue>>): string {
  const used = new Set<string>();
  let out = '';
  let quoted = false;
  for (let index = 0; index < soql.length; index++) {
    const char = soql[index] ?? '';
    if (quoted) {
      out += char;
      if (char === '\\') {
        out += soql[index + 1] ?? '';
        index++;
      } else if (char === "'") quoted = false;
      continue;
    }
    if (char === "'") quoted = true;
    if (char === ':') {
      PLACEHOLDER.lastIndex = index;
      const name = PLACEHOLDER.exec(soql)?.[1];
      if (name) {
        if (!Object.hasOwn(params, name)) throw bindError(`the placeholder :${name} has no value in params.`);
        const value = params[name] as SoqlValue;
        used.add(name);
        if (Array.isArray(value)) {
          if (value.length === 0 || value.length > MAX_IN_VALUES)
            throw bindError(`:${name} must be a list of 1 to ${MAX_IN_VALUES} values.`);
          out += `(${value.map((item) => literal(item, name)).join(', ')})`;
        } else {
          out += literal(value as string | number | boolean | null, name);
        }
        index += name.length;
        continue;
      }
    }
    out += char;
  }
  if (quoted) throw bindError('a string literal is not closed.');
  const unused = Object.keys(params).filter((name) => !used.has(name));
  if (unused.length > 0)
    throw bindError(`params ${unused.map((name) => `"${name}"`).join(', ')} match no placeholder.`);
  return out;
}
