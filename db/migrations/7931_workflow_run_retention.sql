-- Up Migration
-- Per-workflow run retention (`PUT /api/workflows/{id}/retention`, `vmesh workflows retention ID DAYS|default`):
-- days to keep the data of this workflow's finished runs, over VMESH_RUN_RETENTION_DAYS; 0 keeps it forever,
-- NULL follows the global setting. An operating setting, not part of the versioned workflow document.
ALTER TABLE workflows ADD COLUMN run_retention_days integer CHECK (run_retention_days BETWEEN 0 AND 36500);

-- Down Migration
ALTER TABLE workflows DROP COLUMN run_retention_days;
