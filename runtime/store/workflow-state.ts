import type { StateEntry, StateWrite, StateWriteResult, WorkflowState } from '../../connectors/index.ts';
import { json, type Sql, type TransactionSql } from '../../db/index.ts';
import { AppError } from '../../lib/index.ts';

/** Postgres errors another attempt can get past: deadlock, serialization failure, lock or statement timeout. */
const TRANSIENT = new Set(['40P01', '40001', '55P03', '57014']);

type Row = { value: unknown; version: string | number };

const entryOf = (row: Row | undefined): StateEntry | null =>
  row ? { value: row.value, version: Number(row.version) } : null;

/** Thrown inside the transaction to roll back a write whose condition failed; carries the answer. */
class Rejected extends Error {
  readonly result: StateWriteResult;
  constructor(result: StateWriteResult) {
    super(result.op);
    this.result = result;
  }
}

/**
 * The key-value store of one workflow (tables workflow_state, workflow_state_seen). A write and the record of its
 * result under the step's idempotency key (workflow_state_ops) commit in one transaction: the first attempt
 * inserts the record before writing, so a concurrent or later attempt with the same key waits for it and then
 * reads its result instead of writing again. Rejected writes (a failed compare-and-set) record nothing.
 */
export function createWorkflowState(sql: Sql, workflowId: string): WorkflowState {
  return {
    async get(key) {
      const [row] = await sql<Row[]>`
        select value, version from workflow_state where workflow_id = ${workflowId} and key = ${key}`;
      return entryOf(row) ?? undefined;
    },
    async apply(idempotencyKey, write) {
      try {
        return await sql.begin(async (tx) => {
          const claimed = await tx`
            insert into workflow_state_ops (workflow_id, idempotency_key) values (${workflowId}, ${idempotencyKey})
            on conflict do nothing returning 1`;
          if (claimed.length > 0) {
            await tx`
              delete from workflow_state_ops
              where workflow_id = ${workflowId} and created_at < now() - interval '30 days'`;
          } else {
            const [done] = await tx<{ result: StateWriteResult }[]>`
              select result from workflow_state_ops
              where workflow_id = ${workflowId} and idempotency_key = ${idempotencyKey}`;
            if (done?.result) return done.result;
          }
          const result = await applyWrite(tx, workflowId, write);
          await tx`
            update workflow_state_ops set result = ${json(tx, result)}
            where workflow_id = ${workflowId} and idempotency_key = ${idempotencyKey}`;
          return result;
        });
      } catch (error) {
        if (error instanceof Rejected) return error.result;
        const code = (error as { code?: unknown } | null)?.code;
        if (typeof code === 'string' && TRANSIENT.has(code)) {
          throw new AppError({
            code: 'E_STATE_BUSY',
            message: `The workflow's state store was busy (${code}); nothing was written.`,
            retryable: true,
            hint: 'Parallel runs wrote the same keys at once; the step is retried with backoff.',
            cause: error,
          });
        }
        throw error;
      }
    },
  };
}

async function applyWrite(
  tx: TransactionSql,
  workflowId: string,
  write: StateWrite,
): Promise<StateWriteResult> {
  switch (write.op) {
    case 'set': {
      const [row] = await tx<Row[]>`
        select value, version from workflow_state where workflow_id = ${workflowId} and key = ${write.key}
        for update`;
      const previous = entryOf(row);
      if (write.expectedVersion !== undefined && (previous?.version ?? 0) !== write.expectedVersion)
        throw new Rejected({ op: 'conflict', current: previous });
      if ('expectedValue' in write && write.expectedValue !== undefined) {
        const [same] = await tx<{ same: boolean }[]>`
          select ${json(tx, previous?.value ?? null)}::jsonb = ${json(tx, write.expectedValue)}::jsonb as same`;
        if (!previous || !same?.same) throw new Rejected({ op: 'conflict', current: previous });
      }
      const [written] = await tx<{ version: string }[]>`
        insert into workflow_state (workflow_id, key, value) values (${workflowId}, ${write.key}, ${json(tx, write.value)})
        on conflict (workflow_id, key) do update
          set value = excluded.value, version = workflow_state.version + 1, updated_at = now()
        returning version`;
      return { op: 'set', version: Number(written?.version), previous };
    }
    case 'increment': {
      const [row] = await tx<Row[]>`
        insert into workflow_state (workflow_id, key, value) values (${workflowId}, ${write.key}, to_jsonb(${write.by}::numeric))
        on conflict (workflow_id, key) do update
          set value = to_jsonb(workflow_state.value::numeric + ${write.by}::numeric),
              version = workflow_state.version + 1, updated_at = now()
          where jsonb_typeof(workflow_state.value) = 'number'
        returning value, version`;
      if (!row) {
        const [current] = await tx<Row[]>`
          select value, version from workflow_state where workflow_id = ${workflowId} and key = ${write.key}`;
        const entry = entryOf(current);
        if (entry) throw new Rejected({ op: 'not-a-number', current: entry });
        throw new Error(`state.increment: key "${write.key}" vanished during the increment`);
      }
      return { op: 'increment', value: Number(row.value), version: Number(row.version) };
    }
    case 'delete': {
      if (write.expectedVersion !== undefined) {
        const [row] = await tx<Row[]>`
          select value, version from workflow_state where workflow_id = ${workflowId} and key = ${write.key}
          for update`;
        const current = entryOf(row);
        if ((current?.version ?? 0) !== write.expectedVersion)
          throw new Rejected({ op: 'conflict', current });
      }
      const deleted = await tx`
        delete from workflow_state where workflow_id = ${workflowId} and key = ${write.key} returning 1`;
      return { op: 'delete', deleted: deleted.length > 0 };
    }
    case 'dedupe': {
      if (write.keys.length === 0) return { op: 'dedupe', fresh: [] };
      const rows = await tx<{ itemKey: string }[]>`
        insert into workflow_state_seen (workflow_id, scope, item_key)
        select ${workflowId}, ${write.scope}, k from unnest(${write.keys}::text[]) as k order by k
        on conflict do nothing returning item_key`;
      const fresh = new Set(rows.map((row) => row.itemKey));
      return { op: 'dedupe', fresh: write.keys.filter((key) => fresh.has(key)) };
    }
  }
}
