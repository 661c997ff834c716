import postgres from 'postgres';

export type Sql = postgres.Sql;
export type TransactionSql = postgres.TransactionSql;

/**
 * The app's Postgres client. Column names are converted between snake_case and camelCase at the edge;
 * JSON values are left exactly as stored (workflow documents and trigger data keep their keys).
 */
export function createSqlClient(url: string, options: { max?: number } = {}): Sql {
  const target = connectionTarget(url);
  return postgres(target.url, {
    ...target.options,
    max: options.max ?? 10,
    onnotice: () => {},
    transform: { column: { from: postgres.toCamel, to: postgres.fromCamel }, undefined: null },
    connection: { application_name: 'vmesh' },
  });
}

/**
 * postgres.js reads a Unix socket directory only from its `host` option, and would send a `?host=` URL parameter
 * to the server as a setting; libpq and node-postgres (migrations, graphile-worker) read it from the URL.
 */
export function connectionTarget(url: string): { url: string; options: { host?: string } } {
  const parsed = new URL(url);
  const socketDir = parsed.searchParams.get('host');
  if (!socketDir?.startsWith('/')) return { url, options: {} };
  parsed.searchParams.delete('host');
  return { url: parsed.toString(), options: { host: socketDir } };
}
