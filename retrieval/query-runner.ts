import type { PGliteInterface } from '@electric-sql/pglite';
import type { Sql } from '../db/index.ts';

/**
 * The one thing retrieval needs from a database: run parameterised SQL text and get rows back.
 * The same SQL runs on porsager `postgres` (the app's client) and on PGlite (pgvector tests).
 * Column aliases in retrieval SQL are single lower-case words, so the camelCase transform of the
 * app's client leaves them alone.
 */
export type QueryRunner = {
  query<Row extends Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs the callback in one transaction; its runner sees the transaction. */
  transaction<T>(run: (tx: QueryRunner) => Promise<T>): Promise<T>;
};

type PostgresLike = Pick<Sql, 'unsafe'>;

function fromPostgresSession(session: PostgresLike, begin: Sql['begin'] | undefined): QueryRunner {
  const runner: QueryRunner = {
    async query<Row extends Record<string, unknown>>(text: string, params: readonly unknown[] = []) {
      // Parameters are bound, never spliced into the text: `unsafe` here only means "text, not a template".
      const rows = await session.unsafe(text, params as never[]);
      return rows as unknown as Row[];
    },
    async transaction<T>(run: (tx: QueryRunner) => Promise<T>): Promise<T> {
      if (!begin) return run(runner);
      const result = await begin((tx) => run(fromPostgresSession(tx, undefined)));
      return result as T;
    },
  };
  return runner;
}

/** A runner over the app's porsager `postgres` client. */
export function toQueryRunner(sql: Sql): QueryRunner {
  return fromPostgresSession(sql, sql.begin.bind(sql));
}

/** A runner over PGlite (in-process Postgres; with `@electric-sql/pglite-pgvector` it has real pgvector). */
export function pgliteQueryRunner(db: PGliteInterface): QueryRunner {
  const wrap = (session: Pick<PGliteInterface, 'query'>, inTransaction: boolean): QueryRunner => ({
    async query<Row extends Record<string, unknown>>(text: string, params: readonly unknown[] = []) {
      const result = await session.query<Row>(text, [...params]);
      return result.rows;
    },
    async transaction<T>(run: (tx: QueryRunner) => Promise<T>): Promise<T> {
      if (inTransaction) return run(wrap(session, true));
      return db.transaction((tx) => run(wrap(tx, true)));
    },
  });
  return wrap(db, false);
}

/** Accepts either client. */
export function asQueryRunner(client: Sql | QueryRunner): QueryRunner {
  return 'unsafe' in client ? toQueryRunner(client) : client;
}
