-- Up Migration
-- Files a poll trigger stores before the run they belong to exists (an email's attachments): staged for the
-- workflow (`run_id` null), then tied to the run in the transaction that creates it. What no run claims (a
-- duplicate, a filtered item, a failed commit) is deleted right after the poll; the files sweep deletes what a
-- crashed worker left staged for over an hour.
ALTER TABLE files ALTER COLUMN run_id DROP NOT NULL;
ALTER TABLE files ADD COLUMN staged_for text REFERENCES workflows (id) ON DELETE CASCADE;
ALTER TABLE files ADD CONSTRAINT files_owned CHECK (run_id IS NOT NULL OR staged_for IS NOT NULL);
CREATE INDEX files_staged ON files (created_at) WHERE run_id IS NULL;

-- Down Migration
DELETE FROM files WHERE run_id IS NULL;
DROP INDEX files_staged;
ALTER TABLE files DROP CONSTRAINT files_owned;
ALTER TABLE files DROP COLUMN staged_for;
ALTER TABLE files ALTER COLUMN run_id SET NOT NULL;
