import { z } from 'zod';
import { ConnectorError } from '../../sdk/connector-error.ts';
import { describeNamed } from '../../sdk/describe-target.ts';
import { action } from '../kit.ts';
import { quoteIdentifier, refuseBadColumns, runStatement, SqlValue, TableName } from '../statement.ts';

export const InsertRowsInput = z.strictObject({
  table: TableName,
  rows: z
    .array(z.record(z.string(), SqlValue))
    .min(1)
    .max(1000)
    .describe(
      'The rows to insert, each an object of column → value, all with the same columns, e.g. [{"email":"ana@example.com","plan":"pro"}].',
    ),
  ignoreDuplicates: z
    .boolean()
    .default(false)
    .describe(
      'Skip rows whose primary or unique key exists already (INSERT IGNORE), e.g. true. Default false: fail.',
    ),
  timeoutMs: z
    .number()
    .int()
    .min(100)
    .max(300_000)
    .default(30_000)
    .describe('Statement timeout in milliseconds, e.g. 5000 (default 30000).'),
});

export const insertRows = action({
  key: 'insertRows',
  title: 'Insert rows into a MySQL table',
  description:
    'Insert one or more rows into a MySQL or MariaDB table in one statement (all or none), values bound as parameters. ' +
    'Use it to record new orders, sign-ups or log lines; `ignoreDuplicates` skips rows whose key exists.',
  effect: 'write',
  idempotent: false,
  describeTarget: (withValue) => describeNamed('the MySQL table', withValue.table),
  input: InsertRowsInput,
  output: z.strictObject({
    affectedRows: z.number().int().describe('Rows inserted.'),
    insertId: z
      .string()
      .nullable()
      .describe('The AUTO_INCREMENT id of the first inserted row, as text; null when the table has none.'),
  }),
  async run(input, ctx) {
    const columns = Object.keys(input.rows[0] ?? {});
    refuseBadColumns('insertRows', columns);
    const key = [...columns].sort().join('\u0000');
    if (columns.length === 0 || input.rows.some((row) => Object.keys(row).sort().join('\u0000') !== key)) {
      throw new ConnectorError({
        code: 'E_PARAMS',
        message: 'mysql.insertRows: every row needs the same, non-empty set of columns.',
        retryable: false,
        hint: 'Give each row the same keys; use null for a value that is missing.',
      });
    }
    const placeholders = `(${columns.map(() => '?').join(', ')})`;
    const sql =
      `INSERT ${input.ignoreDuplicates ? 'IGNORE ' : ''}INTO ${quoteIdentifier(input.table)} ` +
      `(${columns.map(quoteIdentifier).join(', ')}) VALUES ${input.rows.map(() => placeholders).join(', ')}`;
    const params = input.rows.flatMap((row) => columns.map((column) => row[column] ?? null));
    const result = await runStatement(
      ctx.client,
      { sql, params, write: true, maxRows: 1, timeoutMs: input.timeoutMs },
      ctx.signal,
    );
    return { affectedRows: result.affectedRows, insertId: result.insertId };
  },
});
