import { z } from 'zod';
import { ConnectorError } from '../../sdk/connector-error.ts';
import { describeNamed } from '../../sdk/describe-target.ts';
import { toPostgresError } from '../client.ts';
import { action } from '../kit.ts';

const Param = z
  .union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(z.unknown()),
    z.record(z.string(), z.unknown()),
  ])
  .describe('A value bound to $n: string, number, boolean, null, or an array/object (sent as JSON).');

export const QueryInput = z.strictObject({
  sql: z
    .string()
    .min(1)
    .max(100_000)
    .describe(
      'One SQL statement with $1, $2, … placeholders for every value. Never build values into this text with expressions: put them in `params`.',
    ),
  params: z.array(Param).max(1000).default([]).describe('The values for $1…$n, in order.'),
  write: z
    .boolean()
    .default(false)
    .describe(
      'Allow the statement to change data. Default false: the statement runs in a READ ONLY transaction.',
    ),
  maxRows: z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(1000)
    .describe('Return at most this many rows (default 1000); `truncated` says when more existed.'),
  timeoutMs: z
    .number()
    .int()
    .min(100)
    .max(300_000)
    .default(30_000)
    .describe('statement_timeout for this statement in milliseconds (default 30000).'),
});
export type QueryInput = z.infer<typeof QueryInput>;

export const QueryOutput = z.strictObject({
  rows: z.array(z.record(z.string(), z.unknown())).describe('Result rows as objects keyed by column name.'),
  rowCount: z
    .number()
    .int()
    .describe('Rows returned, or rows changed for INSERT/UPDATE/DELETE without RETURNING.'),
  command: z.string().describe('The statement kind: SELECT, INSERT, UPDATE, DELETE, …'),
  truncated: z.boolean().describe('True when the result had more than maxRows rows and was cut.'),
});

/** JSON-safe column values: dates as ISO text, bytea as \x hex, bigint as text. */
function toJsonValue(value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString('hex')}`;
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(toJsonValue);
  return value;
}

/** Checks the placeholders: $1…$n used with exactly n params, no gaps. */
export function checkPlaceholders(sql: string, params: readonly unknown[]): void {
  const used = new Set([...sql.matchAll(/\$(\d+)/g)].map((match) => Number(match[1])));
  const highest = used.size === 0 ? 0 : Math.max(...used);
  if (highest !== params.length) {
    throw new ConnectorError({
      code: 'E_PARAMS',
      message: `postgres.query: the SQL uses placeholders up to $${highest} but ${params.length} params were given.`,
      retryable: false,
      hint: 'Give exactly one entry in `params` per $n placeholder ($1 is params[0]). Values never go into the SQL text.',
    });
  }
}

const STATEMENT_SEPARATOR_HINT =
  'Send one statement per node (no `;`-separated batches); split them into separate nodes, using `write: true` where needed.';

export const query = action({
  key: 'query',
  literalInputs: ['sql'],
  title: 'Run a SQL query',
  description:
    'Run one parameterised SQL statement ($1…$n with `params`) on a PostgreSQL database and get the rows. ' +
    'Read-only unless `write: true`; statement timeout and a row cap apply.',
  // It may write when the node sets `write: true`, so it is declared as a write that is not idempotent.
  effect: 'write',
  idempotent: false,
  describeTarget: (withValue) =>
    describeNamed('the Postgres database of the credential, with', withValue.sql),
  input: QueryInput,
  output: QueryOutput,
  async run(input, ctx) {
    checkPlaceholders(input.sql, input.params);
    const sql = ctx.client.connect();
    const abort = () => void sql.end({ timeout: 0 });
    ctx.signal.addEventListener('abort', abort, { once: true });
    try {
      return await sql.begin(input.write ? 'read write' : 'read only', async (tx) => {
        await tx`select set_config('statement_timeout', ${String(input.timeoutMs)}, true)`;
        const rows: Record<string, unknown>[] = [];
        let truncated = false;
        // A cursor uses the extended protocol: one statement only, every value a bound parameter.
        const statement = tx.unsafe(input.sql, input.params as never[]);
        const summary = await statement.cursor(Math.min(input.maxRows + 1, 500), (batch) => {
          for (const row of batch) {
            if (rows.length >= input.maxRows) {
              truncated = true;
              return sql.CLOSE;
            }
            rows.push(
              Object.fromEntries(Object.entries(row).map(([key, value]) => [key, toJsonValue(value)])),
            );
          }
          return undefined;
        });
        const command = typeof summary?.command === 'string' ? summary.command : 'SELECT';
        const count = typeof summary?.count === 'number' ? summary.count : rows.length;
        return { rows, rowCount: rows.length > 0 ? rows.length : count, command, truncated };
      });
    } catch (error) {
      const failure = error as { code?: string; message?: string };
      if (failure.code === '42601' && /multiple commands/.test(failure.message ?? '')) {
        throw new ConnectorError({
          code: 'E_PARAMS',
          message: 'postgres.query: the SQL holds more than one statement.',
          retryable: false,
          hint: STATEMENT_SEPARATOR_HINT,
          cause: error,
        });
      }
      throw toPostgresError(error);
    } finally {
      ctx.signal.removeEventListener('abort', abort);
      await sql.end({ timeout: 1 });
    }
  },
});
