/**
 * A `with` value as it goes into a target description: quoted and cut to 120 characters; an expression stays as
 * written so the card shows that the target is computed. Undefined, null and objects give null.
 */
export function quotedValue(value: unknown): string | null {
  if (Array.isArray(value)) return quotedList(value);
  if (typeof value === 'number' || typeof value === 'boolean') return `'${String(value)}'`;
  if (typeof value !== 'string' || value.length === 0) return null;
  const text = value.length > 120 ? `${value.slice(0, 119)}…` : value;
  return `'${text.replace(/[\r\n]+/g, ' ')}'`;
}

/**
 * The usual target text: a noun with the first field that is set ("the Google Sheet 'Leads'"), then the named
 * details that are set (", tab 'Sheet1'"). Null when the main field is not set.
 */
export function describeNamed(
  noun: string,
  main: unknown,
  details: Readonly<Record<string, unknown>> = {},
): string | null {
  const name = quotedValue(main);
  if (!name) return null;
  const extra = Object.entries(details).flatMap(([label, value]) => {
    const quoted = quotedValue(value);
    return quoted ? [`${label} ${quoted}`] : [];
  });
  return [`${noun} ${name}`, ...extra].join(', ');
}

/** Up to five list items, each quoted, then how many more. */
function quotedList(values: readonly unknown[]): string | null {
  const quoted = values.slice(0, 5).flatMap((value) => {
    const text = Array.isArray(value) ? null : quotedValue(value);
    return text ? [text] : [];
  });
  if (quoted.length === 0) return null;
  const more = values.length > 5 ? ` and ${values.length - 5} more` : '';
  return `${quoted.join(', ')}${more}`;
}
