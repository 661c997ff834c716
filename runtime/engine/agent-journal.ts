import { z } from 'zod';
import type { Sql } from '../../db/index.ts';
import { redactSecrets } from '../../lib/index.ts';
import { storedParam } from './stored-json.ts';

/** The kinds of sub-step (`listing`: an MCP server's tools, listed once per step). */
const SubStepKind = z.enum(['memory', 'model', 'tool', 'summary', 'approval', 'listing']);

/** One recorded sub-step of a core.agent step: a model turn, a tool call, the memory it read, a summary. */
export const JournalEntry = z.object({
  seq: z.number().int(),
  kind: SubStepKind,
  name: z.string().nullable(),
  input: z.unknown(),
  output: z.unknown(),
  isError: z.boolean(),
  /** When it began (null on entries recorded before started_at existed). */
  startedAt: z.date().nullable(),
  createdAt: z.date(),
});
export type JournalEntry = z.infer<typeof JournalEntry>;

export type StepRef = { runId: string; nodeId: string; path: string };

/** A core.agent step's journal: what it already did, in order. */
export async function loadJournal(sql: Sql, step: StepRef): Promise<JournalEntry[]> {
  const rows = await sql`
    select seq, kind, name, input, output, is_error, started_at, created_at from agent_calls
    where run_id = ${step.runId} and node_id = ${step.nodeId} and path = ${step.path}
    order by seq`;
  return rows.map((row) =>
    JournalEntry.parse({ ...row, input: row.input ?? null, output: row.output ?? null }),
  );
}

/**
 * Records one sub-step and its run event in one transaction. A second writer of the same seq (a worker presumed
 * dead that still runs) loses: its entry is not recorded and the caller reads the one that was.
 */
export async function appendJournal(
  sql: Sql,
  step: StepRef,
  entry: Omit<JournalEntry, 'createdAt'>,
): Promise<JournalEntry | undefined> {
  const input = redactSecrets(entry.input ?? null);
  const output = redactSecrets(entry.output ?? null);
  return sql.begin(async (tx) => {
    const [row] = await tx`
      insert into agent_calls (run_id, node_id, path, seq, kind, name, input, output, is_error, started_at)
      values (${step.runId}, ${step.nodeId}, ${step.path}, ${entry.seq}, ${entry.kind}, ${entry.name},
        ${storedParam(tx, input)}::jsonb, ${storedParam(tx, output)}::jsonb, ${entry.isError}, ${entry.startedAt})
      on conflict do nothing
      returning created_at`;
    if (!row) return undefined;
    if (entry.kind === 'tool' || entry.kind === 'model') {
      await tx`
        insert into run_events (run_id, type, payload)
        values (${step.runId}, ${entry.kind === 'tool' ? 'step.tool_call' : 'step.model_turn'}, ${storedParam(
          tx,
          {
            nodeId: step.nodeId,
            path: step.path,
            seq: entry.seq,
            ...(entry.name ? { name: entry.name } : {}),
            isError: entry.isError,
          },
        )}::jsonb)`;
    }
    return { ...entry, input, output, createdAt: z.date().parse(row.createdAt) };
  });
}

/** A sub-step as GET /api/runs/:id shows it. */
export const SubStepView = z.object({
  seq: z.number(),
  kind: SubStepKind,
  name: z.string().nullable(),
  input: z.unknown(),
  output: z.unknown(),
  isError: z.boolean(),
  at: z.string(),
});
export type SubStepView = z.infer<typeof SubStepView>;

export type MemoryTurn = { role: 'user' | 'assistant'; content: string };
export const MemoryState = z.object({
  turns: z.array(z.object({ role: z.enum(['user', 'assistant']), content: z.string() })),
  summary: z.string().nullable(),
});
export type MemoryState = z.infer<typeof MemoryState>;

export type MemoryRef = { workflowId: string; nodeId: string; key: string };

export async function loadMemory(sql: Sql, ref: MemoryRef): Promise<MemoryState> {
  const [row] = await sql`
    select turns, summary from agent_memories
    where workflow_id = ${ref.workflowId} and node_id = ${ref.nodeId} and session_key = ${ref.key}`;
  return row ? MemoryState.parse(row) : { turns: [], summary: null };
}

/** Saves a session's memory, once per writing step: a step replayed after a crash does not append again. */
export async function saveMemory(
  sql: Sql,
  ref: MemoryRef,
  state: MemoryState,
  writer: string,
): Promise<void> {
  await sql`
    insert into agent_memories (workflow_id, node_id, session_key, turns, summary, last_writer)
    values (${ref.workflowId}, ${ref.nodeId}, ${ref.key}, ${storedParam(sql, state.turns)}::jsonb, ${state.summary}, ${writer})
    on conflict (workflow_id, node_id, session_key) do update
      set turns = excluded.turns, summary = excluded.summary, last_writer = excluded.last_writer, updated_at = now()
      where agent_memories.last_writer is distinct from excluded.last_writer`;
}
