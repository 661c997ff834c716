-- Up Migration
-- Operations the agent proposes instead of doing: resuming (activating) a paused workflow and deleting one.
ALTER TABLE proposals DROP CONSTRAINT proposals_kind_check;
ALTER TABLE proposals ADD CONSTRAINT proposals_kind_check
  CHECK (kind IN ('new', 'change', 'fix', 'activate', 'delete'));

-- Down Migration
DELETE FROM proposals WHERE kind IN ('activate', 'delete');
ALTER TABLE proposals DROP CONSTRAINT proposals_kind_check;
ALTER TABLE proposals ADD CONSTRAINT proposals_kind_check CHECK (kind IN ('new', 'change', 'fix'));
