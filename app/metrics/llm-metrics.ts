import { Counter, type Registry } from 'prom-client';
import type { Sql } from '../../db/index.ts';
import { llmPrices, type PriceTable } from '../../lib/index.ts';
import { createRunEventCursor } from '../run-event-cursor.ts';

const ROWS_PER_READ = 5_000;

type UsageRow = {
  model: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  cacheReadTokens?: number | null;
  cacheWriteTokens?: number | null;
};

/** Where a model call was made: the builder agent's turns, core.agent steps, llm.* action steps. */
type Source = 'builder' | 'step' | 'action';

/** How long a journal row may take to commit after its created_at. */
const SETTLE = '5 seconds';

/**
 * LLM use, read at scrape time after the last row counted: the builder agent's turns (conversation messages that
 * carry usage), core.agent model calls (their journal) and llm.* action steps (the usage on their run events).
 * Each starts at the newest row when the process starts. Cost is counted for models with a price
 * (lib/llm-prices.ts, VMESH_LLM_PRICES); a model without one has calls and tokens but no cost series.
 */
export function registerLlmMetrics(
  registry: Registry,
  sql: Sql,
  prices: PriceTable = llmPrices(),
): { catchUp(): Promise<void> } {
  const calls = new Counter({
    name: 'vmesh_llm_calls_total',
    help: 'Model calls: `step` counts each core.agent model turn, `action` each llm.* step, `builder` each turn of the builder agent.',
    labelNames: ['source', 'model'],
    registers: [registry],
  });
  const tokens = new Counter({
    name: 'vmesh_llm_tokens_total',
    help: 'Tokens the models reported, by source, model and direction (input, output).',
    labelNames: ['source', 'model', 'direction'],
    registers: [registry],
  });
  const cost = new Counter({
    name: 'vmesh_llm_cost_usd_total',
    help: 'What the model calls cost at list price (USD), by source and model; only models with a known price (VMESH_LLM_PRICES adds more).',
    labelNames: ['source', 'model'],
    registers: [registry],
  });
  type StepCursor = { at: Date; runId: string; nodeId: string; path: string; seq: number };
  const cursors: { builder?: bigint; step?: StepCursor } = {};
  let catching: Promise<void> | undefined;

  function count(source: Source, row: UsageRow): void {
    const model = row.model ?? 'unknown';
    calls.inc({ source, model });
    if (row.inputTokens) tokens.inc({ source, model, direction: 'input' }, row.inputTokens);
    if (row.outputTokens) tokens.inc({ source, model, direction: 'output' }, row.outputTokens);
    const usd = prices.costOf(model, {
      inputTokens: row.inputTokens ?? 0,
      outputTokens: row.outputTokens ?? 0,
      cacheReadTokens: row.cacheReadTokens ?? 0,
      cacheWriteTokens: row.cacheWriteTokens ?? 0,
    });
    if (usd !== null) cost.inc({ source, model }, usd);
  }

  const actions = createRunEventCursor<UsageRow>({
    sql,
    read: async (after, upTo) =>
      (await sql`
        select payload#>>'{usage,llm,model}' as model,
          (payload#>>'{usage,llm,inputTokens}')::float8 as input_tokens,
          (payload#>>'{usage,llm,outputTokens}')::float8 as output_tokens
        from run_events
        where seq > ${after.toString()}::bigint and seq <= ${upTo.toString()}::bigint and type in ('step.succeeded', 'step.failed', 'step.retrying')
          and payload->'usage' ? 'llm'`) as unknown as UsageRow[],
    handle: (row) => count('action', row),
    batchSize: ROWS_PER_READ,
    maxBatches: 20,
  });

  async function catchUpBuilder(): Promise<void> {
    if (cursors.builder === undefined) {
      const [row] = await sql`select coalesce(max(id), 0)::text as id from conversation_messages`;
      cursors.builder = BigInt(String(row?.id ?? '0'));
      return;
    }
    const rows = (await sql`
      select id::text as id, model, (usage->>'inputTokens')::float8 as input_tokens,
        (usage->>'outputTokens')::float8 as output_tokens, (usage->>'cacheReadTokens')::float8 as cache_read_tokens,
        (usage->>'cacheWriteTokens')::float8 as cache_write_tokens
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
        (output#>>'{usage,outputTokens}')::float8 as output_tokens,
        (output#>>'{usage,cacheReadTokens}')::float8 as cache_read_tokens,
        (output#>>'{usage,cacheWriteTokens}')::float8 as cache_write_tokens
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
      catching ??= Promise.all([catchUpBuilder(), catchUpSteps(), actions.catchUp()])
        .then(() => undefined)
        .finally(() => {
          catching = undefined;
        });
      return catching;
    },
  };
}
