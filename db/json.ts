import type postgres from 'postgres';
import type { Sql, TransactionSql } from './client.ts';

/**
 * A value as a json/jsonb parameter. postgres.js types `json()` as taking only values it can prove serialisable;
 * ours are `unknown` (parsed rows, step outputs, trigger data), which JSON.stringify handles at run time.
 */
export function json(sql: Sql | TransactionSql, value: unknown): postgres.Parameter {
  return sql.json(value as postgres.JSONValue);
}
