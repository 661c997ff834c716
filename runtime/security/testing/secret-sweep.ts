import type { Sql } from '../../../db/index.ts';

/** The text as an HTML page shows it: `&`, `<`, `>`, `"` and `'` as entities (both spellings of the quote). */
function htmlEscaped(text: string): string[] {
  const escaped = text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
  return [escaped.replaceAll("'", '&#39;'), escaped.replaceAll("'", '&#x27;')];
}

/**
 * Every form in which a secret can leak: raw, base64, base64url, URL-encoded, hex, JSON-escaped (once and
 * twice), HTML-escaped, UTF-8 misread as Latin-1, and the tail a careless redactor leaves after cutting the first
 * characters.
 */
export function secretForms(secret: string): string[] {
  const forms = [
    secret,
    ...htmlEscaped(secret),
    Buffer.from(secret).toString('base64'),
    Buffer.from(secret).toString('base64url'),
    encodeURIComponent(secret),
    Buffer.from(secret).toString('hex'),
    JSON.stringify(secret).slice(1, -1),
    JSON.stringify(JSON.stringify(secret)).slice(1, -1),
    // UTF-8 bytes read back as Latin-1: how a non-ASCII header value comes back from an echo.
    Buffer.from(secret, 'utf8').toString('latin1'),
  ];
  if (secret.length >= 16) forms.push(secret.slice(8), ...htmlEscaped(secret.slice(8)));
  return [...new Set(forms)];
}

/** The wire forms of `user:password`: the pair, its base64 and the whole `Basic …` header value, each in every form. */
export function basicAuthForms(user: string, password: string): string[] {
  const base64 = Buffer.from(`${user}:${password}`).toString('base64');
  return [
    ...secretForms(password),
    ...secretForms(`${user}:${password}`),
    ...secretForms(base64),
    ...secretForms(`Basic ${base64}`),
  ];
}

/** One JSON text per row of every table in the public and graphile_worker schemas. */
export async function everyRowText(sql: Sql): Promise<{ tables: string[]; rows: string[] }> {
  const tables = await sql`
    select table_schema, table_name from information_schema.tables
    where table_schema in ('public', 'graphile_worker', 'graphile_worker_private') and table_type = 'BASE TABLE'`;
  const filled: string[] = [];
  const rows: string[] = [];
  for (const table of tables) {
    const name = `"${String(table.tableSchema)}"."${String(table.tableName)}"`;
    const found = await sql.unsafe(`select row_to_json(t)::text as t from ${name} t`);
    if (found.length > 0) filled.push(String(table.tableName));
    for (const row of found) rows.push(String(row.t));
  }
  return { tables: filled, rows };
}

/** The forms of `forms` that occur in `text` (empty when none does). */
export function leakedForms(text: string, forms: readonly string[]): string[] {
  return forms.filter((form) => text.includes(form));
}
