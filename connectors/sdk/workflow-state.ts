/** One key of a workflow's state: its JSON value and its version (1 on the first write, +1 on each). */
export type StateEntry = { value: unknown; version: number };

/** A write to a workflow's state; `expectedVersion` 0 means "the key must not exist yet". */
export type StateWrite =
  | { op: 'set'; key: string; value: unknown; expectedVersion?: number | undefined; expectedValue?: unknown }
  | { op: 'increment'; key: string; by: number }
  | { op: 'delete'; key: string; expectedVersion?: number | undefined }
  | { op: 'dedupe'; scope: string; keys: string[] };

/** What a write did. `dedupe` answers the keys that were new (never seen before in this scope). */
export type StateWriteResult =
  | { op: 'set'; version: number; previous: StateEntry | null }
  | { op: 'increment'; value: number; version: number }
  | { op: 'delete'; deleted: boolean }
  | { op: 'dedupe'; fresh: string[] }
  | { op: 'conflict'; current: StateEntry | null }
  | { op: 'not-a-number'; current: StateEntry };

/**
 * One workflow's key-value store, shared by all its runs (bound by the engine to the running workflow). Each write
 * is applied at most once per `idempotencyKey` (the step's): a retry of the step gets the first result back.
 */
export type WorkflowState = {
  get(key: string): Promise<StateEntry | undefined>;
  apply(idempotencyKey: string, write: StateWrite): Promise<StateWriteResult>;
};
