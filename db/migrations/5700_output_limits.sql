-- Up Migration
-- Step output sizes, measured once when a step is recorded: the run view truncates large outputs without
-- reading them, and each run's running total is checked against its limit (VMESH_RUN_OUTPUT_MAX_BYTES).
ALTER TABLE steps ADD COLUMN output_bytes integer;

CREATE TABLE run_output_usage (
  run_id text PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
  bytes bigint NOT NULL DEFAULT 0
);

-- Down Migration
DROP TABLE run_output_usage;
ALTER TABLE steps DROP COLUMN output_bytes;
