-- Up Migration
-- Self-healing no longer polls run_events: the engine queues a job when a run fails (RUN_FAILED_TASK).
DROP TABLE agent_event_cursors;

-- Down Migration
CREATE TABLE agent_event_cursors (
  name text PRIMARY KEY,
  last_seq bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
