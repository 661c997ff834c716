-- Up Migration
-- One-time resume URLs of core.wait steps (POST /resume/:token). Only the token's SHA-256 is stored. A row is
-- settled once: `outcome` 'resumed' (with the request's body) or 'timeout'; a retried step replaces its row.
CREATE TABLE wait_tokens (
  token_hash text PRIMARY KEY,
  run_id text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  node_id text NOT NULL,
  path text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  used_at timestamptz,
  outcome text CHECK (outcome IN ('resumed', 'timeout')),
  body jsonb,
  UNIQUE (run_id, node_id, path)
);

-- Down Migration
DROP TABLE wait_tokens;
