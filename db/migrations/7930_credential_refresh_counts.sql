-- Up Migration
-- How many oauth2 token refreshes every process made, by credential type, provider preset and outcome: each
-- refresh adds one to its row; GET /metrics reads the totals (vmesh_credential_refreshes_total), whichever
-- process refreshed. Rows are few (types × providers × outcomes), so nothing needs pruning.
CREATE TABLE credential_refresh_counts (
  credential_type text NOT NULL,
  provider text NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('renewed', 'needs_reconnect', 'failed')),
  refreshes bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (credential_type, provider, outcome)
);

-- Down Migration
DROP TABLE credential_refresh_counts;
