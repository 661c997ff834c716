-- Up Migration
-- Recent failures across workflows (list_failed_runs, retry_failed_runs, `vmesh runs list --status failed`).
CREATE INDEX runs_failed ON runs (created_at DESC) WHERE status = 'failed';

-- Down Migration
DROP INDEX runs_failed;
