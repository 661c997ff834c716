-- Up Migration
-- Per-user API tokens. The token a person holds is `vmt_<id>_<secret>`; only the SHA-256 of the secret is kept,
-- so a database dump lets nobody act as anybody. scopes null: everything the user's role allows; else only the
-- listed permissions (and never more than the role). may_approve (set by admins only): the token may approve
-- proposals without a human confirming.
CREATE TABLE api_tokens (
  id text PRIMARY KEY CHECK (id ~ '^tok_[A-Za-z0-9_-]{1,64}$'),
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  secret_hash bytea NOT NULL CHECK (length(secret_hash) = 32),
  scopes text[],
  may_approve boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id, created_at);

-- Down Migration
DROP TABLE api_tokens;
