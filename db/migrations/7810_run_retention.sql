-- Up Migration
-- Run retention (VMESH_RUN_RETENTION_DAYS): a finished run's data (trigger data, step inputs and outputs, events,
-- files, agent sub-steps) is pruned after the retention time; the run row stays, with `summary` (step counts,
-- duration) and its error, and `pruned_at` says when its data went.
ALTER TABLE runs ADD COLUMN pruned_at timestamptz;
ALTER TABLE runs ADD COLUMN summary jsonb;
CREATE INDEX runs_prunable ON runs (finished_at) WHERE pruned_at IS NULL AND finished_at IS NOT NULL;

-- Down Migration
DROP INDEX runs_prunable;
ALTER TABLE runs DROP COLUMN summary;
ALTER TABLE runs DROP COLUMN pruned_at;
