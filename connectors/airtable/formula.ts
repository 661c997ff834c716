import { ConnectorError } from '../sdk/connector-error.ts';

// Airtable formulas built from values a workflow passes in: every value is a literal, never formula text.

/** A string literal: backslashes and double quotes escaped, line breaks written as \n. */
export function formulaString(value: string): string {
  const escaped = value
    .replaceAll('\\', '\\\\')
    .replaceAll('"', '\\"')
    .replaceAll('\r', '\\r')
    .replaceAll('\n', '\\n');
  return `"${escaped}"`;
}

/** A field reference `{Name}`; a name with braces cannot be referenced safely and is refused. */
export function formulaField(name: string): string {
  if (name.length === 0 || /[{}]/.test(name)) {
    throw new ConnectorError({
      code: 'E_PARAMS',
      message: `The field name ${JSON.stringify(name)} cannot be used in a formula (it is empty or has { or }).`,
      retryable: false,
      hint: 'Rename the field in Airtable without braces, or filter in a view and pass `view` instead.',
    });
  }
  return `{${name}}`;
}

export function formulaValue(value: string | number | boolean): string {
  if (typeof value === 'boolean') return value ? 'TRUE()' : 'FALSE()';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error('A formula number must be finite.');
    return String(value);
  }
  return formulaString(value);
}

export type Match = 'equals' | 'contains' | 'notEquals';

/** The filterByFormula of "field <match> value". `contains` ignores case. */
export function matchFormula(field: string, value: string | number | boolean, match: Match): string {
  const ref = formulaField(field);
  if (match === 'contains') {
    return `FIND(LOWER(${formulaString(String(value))}), LOWER(${ref} & "")) > 0`;
  }
  return `${ref} ${match === 'equals' ? '=' : '!='} ${formulaValue(value)}`;
}

/** Records created after `at` (ms): by CREATED_TIME(), or by a created-time field when one is named. */
export function createdAfterFormula(at: number, field: string | undefined): string {
  const time = field ? formulaField(field) : 'CREATED_TIME()';
  return `IS_AFTER(${time}, DATETIME_PARSE(${formulaString(new Date(at).toISOString())}))`;
}
