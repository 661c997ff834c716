-- Up Migration
-- Approvers come from the approval policy (access/approval-policy.ts): `approvers` now holds user ids and
-- 'role:admin' (the workspace's admins and owners). An empty list no longer means "anyone": old pending rows
-- (whose approvers were front-end actor strings, or empty) are left to admins and owners only.
ALTER TABLE proposals
  ADD COLUMN proposer_id text REFERENCES users (id) ON DELETE SET NULL,
  ADD COLUMN proposer_may_approve boolean NOT NULL DEFAULT false,
  ADD COLUMN second_person_reasons jsonb NOT NULL DEFAULT '[]'::jsonb;
UPDATE proposals SET approvers = '["role:admin"]'::jsonb WHERE status = 'pending';
COMMENT ON COLUMN proposals.approvers IS 'User ids and role:admin (admins and owners); never empty-means-anyone.';

-- The users who took part in a conversation (user ids): pending lists show its proposals to them.
ALTER TABLE conversations ADD COLUMN participants jsonb NOT NULL DEFAULT '[]'::jsonb;

-- One-time approval links (an MCP client's approve hands the person a link to open in a browser). Only the
-- token's SHA-256 is stored; a link is single use and short-lived.
CREATE TABLE approval_links (
  token_hash text PRIMARY KEY,
  proposal_id text NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX approval_links_expiry ON approval_links (expires_at);

-- Down Migration
DROP TABLE approval_links;
ALTER TABLE conversations DROP COLUMN participants;
ALTER TABLE proposals DROP COLUMN second_person_reasons,
  DROP COLUMN proposer_may_approve, DROP COLUMN proposer_id;
