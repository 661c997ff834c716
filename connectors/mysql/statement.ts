import { z } from 'zod';
import { ConnectorError } from '../sdk/connector-error.ts';
import { type MysqlClient, type MysqlSession, toMysqlError } from './client.ts';

/** A value bound to one `?`: arrays and objects are sent as JSON text (for JSON columns). */
export const SqlValue = z
  .union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(z.unknown()),
    z.record(z.string(), z.unknown()),
  ])
  .describe('A value bound to a `?`: string, number, boolean, null, or an array/object (sent as JSON text).');
export type SqlValue = z.infer<typeof SqlValue>;

export type Statement = {
  sql: string;
  params: readonly SqlValue[];
  write: boolean;
  maxRows: number;
  timeoutMs: number;
};

export type StatementResult = {
  rows: Record<string, unknown>[];
  rowCount: number;
  affectedRows: number;
  insertId: string | null;
  command: string;
  truncated: boolean;
};

/** JSON-safe column values: binary as 0x… hex, bigint as text; DATETIME/DECIMAL already arrive as text. */
function toJsonValue(value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Uint8Array) return `0x${Buffer.from(value).toString('hex')}`;
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(toJsonValue);
  return value;
}

function toBound(value: SqlValue): string | number | boolean | null {
  if (value === null || typeof value !== 'object') return value;
  return JSON.stringify(value);
}

/** The statement's first keyword, upper-cased (SELECT, INSERT, …), for the output's `command`. */
export function commandOf(sql: string): string {
  const stripped = sql.replace(/^(\s|--[^\n]*\n|#[^\n]*\n|\/\*[\s\S]*?\*\/)+/, '');
  return (/^[A-Za-z]+/.exec(stripped)?.[0] ?? 'UNKNOWN').toUpperCase();
}

const ResultHeader = z.object({ affectedRows: z.number(), insertId: z.union([z.number(), z.string()]) });

/**
 * Runs one prepared statement (every value a bound `?`; the server refuses a `;` batch) in its own transaction:
 * READ ONLY unless `write` (the session is read-only too, so DDL's implicit commit cannot escape it), with the
 * server's statement timeout, keeping at most `maxRows` rows.
 */
export async function runStatement(
  client: MysqlClient,
  statement: Statement,
  signal: AbortSignal,
): Promise<StatementResult> {
  const session = await client.connect();
  const connection = session.db;
  const abort = () => connection.destroy();
  signal.addEventListener('abort', abort, { once: true });
  try {
    await prepareSession(connection, statement);
    await connection.query(statement.write ? 'START TRANSACTION' : 'START TRANSACTION READ ONLY');
    const result = await streamRows(session, statement);
    await connection.query('COMMIT');
    return result;
  } catch (error) {
    await connection.query('ROLLBACK').catch(() => {});
    throw toMysqlError(error);
  } finally {
    signal.removeEventListener('abort', abort);
    await connection.end().catch(() => connection.destroy());
  }
}

async function prepareSession(connection: MysqlSession['db'], statement: Statement): Promise<void> {
  await connection.query(`SET SESSION TRANSACTION ${statement.write ? 'READ WRITE' : 'READ ONLY'}`);
  const [rows] = await connection.query('SELECT VERSION() AS version');
  const version = String(
    Array.isArray(rows) && rows[0] && typeof rows[0] === 'object' && 'version' in rows[0]
      ? rows[0].version
      : '',
  );
  // MariaDB: max_statement_time in seconds, for every statement; MySQL: MAX_EXECUTION_TIME in ms, for SELECT.
  if (/mariadb/i.test(version)) {
    await connection.query('SET SESSION max_statement_time = ?', [statement.timeoutMs / 1000]);
  } else {
    await connection.query('SET SESSION MAX_EXECUTION_TIME = ?', [statement.timeoutMs]);
  }
}

function streamRows(session: MysqlSession, statement: Statement): Promise<StatementResult> {
  return new Promise((resolve, reject) => {
    const rows: Record<string, unknown>[] = [];
    let seen = 0;
    let affectedRows = 0;
    let insertId: string | null = null;
    // The client-side timeout backs up the server's (MySQL's only covers SELECT): it closes the connection.
    const query = session.core.execute(
      { sql: statement.sql, timeout: statement.timeoutMs + 2_000 },
      statement.params.map(toBound),
    );
    // A statement with a result set announces its columns first; without one, the answer is an OK header.
    let hasColumns = false;
    query.on('fields', (fields: unknown) => {
      if (fields !== undefined) hasColumns = true;
    });
    query.on('result', (result: unknown) => {
      const header = hasColumns ? undefined : ResultHeader.safeParse(result).data;
      if (header) {
        affectedRows += header.affectedRows;
        if (Number(header.insertId) > 0 && insertId === null) insertId = String(header.insertId);
        return;
      }
      seen += 1;
      if (rows.length >= statement.maxRows || typeof result !== 'object' || result === null) return;
      rows.push(Object.fromEntries(Object.entries(result).map(([key, value]) => [key, toJsonValue(value)])));
    });
    query.on('error', reject);
    query.on('end', () =>
      resolve({
        rows,
        rowCount: rows.length > 0 ? rows.length : affectedRows,
        affectedRows,
        insertId,
        command: commandOf(statement.sql),
        truncated: seen > rows.length,
      }),
    );
  });
}

/** A table name as `db.table` or `table`, each part a plain identifier. */
export const TableName = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_$]{0,63}(\.[A-Za-z_][A-Za-z0-9_$]{0,63})?$/,
    'a table name such as orders or shop.orders (letters, digits, _ and $)',
  )
  .describe('The table, e.g. `orders` or `shop.orders` (database-qualified).');

export const ColumnName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_$ ]{0,63}$/, 'a column name (letters, digits, _, $ and spaces)');

/** `shop.orders` as `shop`.`orders`; the names were validated, the backticks keep keywords usable. */
export function quoteIdentifier(name: string): string {
  return name
    .split('.')
    .map((part) => `\`${part.replaceAll('`', '``')}\``)
    .join('.');
}

export function refuseBadColumns(action: string, columns: readonly string[]): void {
  for (const column of columns) {
    if (!ColumnName.safeParse(column).success) {
      throw new ConnectorError({
        code: 'E_PARAMS',
        message: `mysql.${action}: "${column.slice(0, 64)}" is not a column name.`,
        retryable: false,
        hint: 'Use the table’s column names as keys (letters, digits, _, $ and spaces).',
      });
    }
  }
}
