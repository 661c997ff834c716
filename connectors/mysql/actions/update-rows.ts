import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { action } from '../kit.ts';
import { quoteIdentifier, refuseBadColumns, runStatement, SqlValue, TableName } from '../statement.ts';

const Columns = z.record(z.string(), SqlValue);

export const UpdateRowsInput = z.strictObject({
  table: TableName,
  set: Columns.refine((value) => Object.keys(value).length > 0, 'name at least one column to set').describe(
    'The columns to change and their new values, e.g. {"status":"shipped","shipped_at":"2026-05-01 10:00:00"}.',
  ),
  where: Columns.refine(
    (value) => Object.keys(value).length > 0,
    'name at least one column to match: an update of every row is not offered',
  ).describe(
    'Which rows: every column must equal its value (null matches NULL), e.g. {"id":42} or {"customer_id":7,"status":"open"}.',
  ),
  limit: z.number().int().min(1).max(100_000).optional().describe('Change at most this many rows, e.g. 1.'),
  timeoutMs: z
    .number()
    .int()
    .min(100)
    .max(300_000)
    .default(30_000)
    .describe('Statement timeout in milliseconds, e.g. 5000 (default 30000).'),
});

export const updateRows = action({
  key: 'updateRows',
  title: 'Update rows in a MySQL table',
  description:
    'Set columns of the MySQL or MariaDB rows whose columns equal the given values (`where`, never empty), values bound as parameters. ' +
    'Use it to mark an order shipped or change a customer’s plan.',
  effect: 'write',
  // The same values set on the same rows twice leave them as once.
  idempotent: true,
  describeTarget: (withValue) => describeNamed('the MySQL table', withValue.table),
  input: UpdateRowsInput,
  output: z.strictObject({ affectedRows: z.number().int().describe('Rows changed.') }),
  async run(input, ctx) {
    const setColumns = Object.keys(input.set);
    const whereColumns = Object.keys(input.where);
    refuseBadColumns('updateRows', [...setColumns, ...whereColumns]);
    const conditions = whereColumns.map((column) =>
      input.where[column] === null ? `${quoteIdentifier(column)} IS NULL` : `${quoteIdentifier(column)} = ?`,
    );
    const sql =
      `UPDATE ${quoteIdentifier(input.table)} SET ${setColumns.map((column) => `${quoteIdentifier(column)} = ?`).join(', ')} ` +
      `WHERE ${conditions.join(' AND ')}${input.limit ? ` LIMIT ${input.limit}` : ''}`;
    const params = [
      ...setColumns.map((column) => input.set[column] ?? null),
      ...whereColumns.flatMap((column) =>
        input.where[column] === null ? [] : [input.where[column] ?? null],
      ),
    ];
    const result = await runStatement(
      ctx.client,
      { sql, params, write: true, maxRows: 1, timeoutMs: input.timeoutMs },
      ctx.signal,
    );
    return { affectedRows: result.affectedRows };
  },
});
