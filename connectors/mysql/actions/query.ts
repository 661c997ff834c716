import { z } from 'zod';
import { action } from '../kit.ts';
import { runStatement, SqlValue } from '../statement.ts';

export const QueryInput = z.strictObject({
  sql: z
    .string()
    .min(1)
    .max(100_000)
    .describe(
      'One SQL statement with a `?` placeholder for every value, e.g. "select id, email from customers where country = ? limit 100". Never build values into this text with expressions: put them in `params`.',
    ),
  params: z
    .array(SqlValue)
    .max(1000)
    .default([])
    .describe('The values for the `?` placeholders, in order, e.g. ["DE"].'),
  write: z
    .boolean()
    .default(false)
    .describe(
      'Allow the statement to change data, e.g. true for an UPDATE. Default false: it runs in a READ ONLY transaction.',
    ),
  maxRows: z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(1000)
    .describe('Return at most this many rows, e.g. 100 (default 1000); `truncated` says when more existed.'),
  timeoutMs: z
    .number()
    .int()
    .min(100)
    .max(300_000)
    .default(30_000)
    .describe('Statement timeout in milliseconds, e.g. 5000 (default 30000).'),
});

export const QueryOutput = z.strictObject({
  rows: z.array(z.record(z.string(), z.unknown())).describe('Result rows as objects keyed by column name.'),
  rowCount: z.number().int().describe('Rows returned, or rows changed for INSERT/UPDATE/DELETE.'),
  affectedRows: z.number().int().describe('Rows the statement changed (0 for a SELECT).'),
  insertId: z
    .string()
    .nullable()
    .describe('The AUTO_INCREMENT id of the first inserted row, as text; null when none.'),
  command: z.string().describe('The statement kind: SELECT, INSERT, UPDATE, DELETE, …'),
  truncated: z.boolean().describe('True when the result had more than maxRows rows and was cut.'),
});

export const query = action({
  key: 'query',
  literalInputs: ['sql'],
  title: 'Run a MySQL query',
  description:
    'Run one parameterised SQL statement (`?` placeholders with `params`) on a MySQL or MariaDB database and get the rows. ' +
    'Read-only unless `write: true`; a statement timeout and a row cap apply.',
  // It may write when the node sets `write: true`, so it is declared as a write that is not idempotent.
  effect: 'write',
  idempotent: false,
  describeTarget: (withValue) =>
    withValue.write === true ? 'the MySQL database of the credential (the tables the SQL names)' : null,
  input: QueryInput,
  output: QueryOutput,
  run: (input, ctx) => runStatement(ctx.client, input, ctx.signal),
});
