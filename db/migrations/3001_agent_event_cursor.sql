-- Up Migration
-- How far the agent has read run_events (self-healing picks up `run.failed` events after this seq).
CREATE TABLE agent_event_cursors (
  name text PRIMARY KEY,
  last_seq bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE agent_event_cursors;
