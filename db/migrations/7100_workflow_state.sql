-- Up Migration
-- A workflow's own key-value store across its runs (state.get/set/increment/delete; runtime/store/workflow-state.ts).
-- `version` starts at 1 and grows on every write: compare-and-set checks it.
CREATE TABLE workflow_state (
  workflow_id text NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  key text NOT NULL,
  value jsonb NOT NULL,
  version bigint NOT NULL DEFAULT 1,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workflow_id, key)
);

-- Item keys state.dedupe has let through, per workflow and scope: each passes once.
CREATE TABLE workflow_state_seen (
  workflow_id text NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  scope text NOT NULL,
  item_key text NOT NULL,
  seen_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workflow_id, scope, item_key)
);

-- The result of each state write by the step's idempotency key, written in the same transaction as the write:
-- a retried step (same key) gets the first result back instead of writing again. Kept 30 days (step retries end
-- long before): each new write of a workflow prunes its older records.
CREATE TABLE workflow_state_ops (
  workflow_id text NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  idempotency_key text NOT NULL,
  result jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workflow_id, idempotency_key)
);
CREATE INDEX workflow_state_ops_created ON workflow_state_ops (workflow_id, created_at);

-- Down Migration
DROP TABLE workflow_state_ops;
DROP TABLE workflow_state_seen;
DROP TABLE workflow_state;
