import postgres from 'postgres';

export type Sql = postgres.Sql;
export type TransactionSql = postgres.TransactionSql;

/**
 * The app's Postgres client. Column names are converted between snake_case and camelCase at the edge;
 * JSON values are left exactly as stored (workflow documents and trigger data keep their keys).
 */
export function createSqlClient(url: string, options: { max?: number } = {}): Sql {
  return postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    transform: { column: { from: postgres.toCamel, to: postgres.fromCamel }, undefined: null },
    connection: { application_name: 'vmesh' },
  });
}
