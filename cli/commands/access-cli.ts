import { ensureLocalOwner, type Principal } from '../../access/index.ts';
import { openDatabase, parseDatabaseConfig, type Sql } from '../../db/index.ts';
import { AppError } from '../../lib/index.ts';

/**
 * Runs `work` with the database and the local owner (the shell acts as the workspace's owner, as whoever can
 * read the data dir can do anything anyway). An AppError prints its message and hint and exits 1.
 */
export async function asLocalOwner(work: (sql: Sql, owner: Principal) => Promise<void>): Promise<void> {
  const database = await openDatabase(parseDatabaseConfig());
  try {
    await work(database.sql, await ensureLocalOwner(database.sql, 'cli'));
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    process.stderr.write(`vmesh: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ''}`);
    process.exitCode = 1;
  } finally {
    await database.close();
  }
}

/** A plain table: a header row and columns padded to their widest cell. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}
