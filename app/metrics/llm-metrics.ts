import { Counter, type Registry } from 'prom-client';
import type { Sql } from '../../db/index.ts';

const ROWS_PER_READ = 5_000;

type UsageRow = { model: string | null; inputTokens: number | null; outputTokens: number | null };

/** How long a journal row may take to commit after its created_at. */
const SETTLE = '5 seconds';

/**
 * LLM use, read at scrape time after the last row counted: the builder agent's turns (conversation messages that
 * carry usage) and core.agent model calls (their journal). Both start at the newest row when the process starts.
 */
export function registerLlmMetrics(registry: Registry, sql: Sql): { catchUp(): Promise<void> } {
  const calls = new Counter({
    name: 'vmesh_llm_calls_total',
    help: 'Model calls: `step` counts each core.agent model turn, `builder` each turn of the builder agent.',
    labelNames: ['source', 'model'],
    registers: [registry],
  });
  const tokens = new Counter({
    name: 'vmesh_llm_tokens_total',
    help: 'Tokens the models reported, by source, model and direction (input, output).',
    labelNames: ['source', 'model', 'direction'],
    registers: [registry],
  });
  type StepCursor = { at: Date; runId: string; nodeId: string; path: string; seq: number };
  const cursors: { builder?: bigint; step?: StepCursor } = {};
  let catching: Promise<void> | undefined;

  function count(source: 'builder' | 'step', row: UsageRow): void {
    const model = row.model ?? 'unknown';
    calls.inc({ source, model });
    if (row.inputTokens) tokens.inc({ source, model, direction: 'input' }, row.inputTokens);
    if (row.outputTokens) tokens.inc({ source, model, direction: 'output' }, row.outputTokens);
  }

  async function catchUpBuilder(): Promise<void> {
    if (cursors.builder === undefined) {
      const [row] = await sql`select coalesce(max(id), 0)::text as id from conversation_messages`;
      cursors.builder = BigInt(String(row?.id ?? '0'));
      return;
    }
    const rows = (await sql`
      select id::text as id, model, (usage->>'inputTokens')::float8 as input_tokens,
        (usage->>'outputTokens')::float8 as output_tokens
      from conversation_messages where id > ${cursors.builder.toString()}::bigint and usage is not null
      order by id limit ${ROWS_PER_READ}`) as unknown as (UsageRow & { id: string })[];
    for (const row of rows) count('builder', row);
    const last = rows.at(-1);
    if (last) cursors.builder = BigInt(last.id);
  }

  async function catchUpSteps(): Promise<void> {
    if (cursors.step === undefined) {
      const [row] = await sql`select now() - ${SETTLE}::interval as at`;
      cursors.step = {
        at: row?.at instanceof Date ? row.at : new Date(),
        runId: '',
        nodeId: '',
        path: '',
        seq: -1,
      };
      return;
    }
    const from = cursors.step;
    // A journal row's created_at is its transaction's start: rows younger than SETTLE may still be uncommitted.
    const rows = (await sql`
      select run_id, node_id, path, seq, created_at, output->>'model' as model,
        (output#>>'{usage,inputTokens}')::float8 as input_tokens,
        (output#>>'{usage,outputTokens}')::float8 as output_tokens
      from agent_calls
      where kind = 'model' and not is_error and created_at <= now() - ${SETTLE}::interval
        and (created_at, run_id, node_id, path, seq) > (${from.at}, ${from.runId}, ${from.nodeId}, ${from.path}, ${from.seq})
      order by created_at, run_id, node_id, path, seq limit ${ROWS_PER_READ}`) as unknown as (UsageRow &
      StepCursor & { createdAt: Date })[];
    for (const row of rows) count('step', row);
    const last = rows.at(-1);
    if (last)
      cursors.step = {
        at: last.createdAt,
        runId: last.runId,
        nodeId: last.nodeId,
        path: last.path,
        seq: last.seq,
      };
  }

  return {
    catchUp() {
      catching ??= Promise.all([catchUpBuilder(), catchUpSteps()])
        .then(() => undefined)
        .finally(() => {
          catching = undefined;
        });
      return catching;
    },
  };
}
