-- Up Migration
-- What `GET /api/credentials` and `vmesh credentials list` show besides names: whether the credential still works
-- (state, with a redacted reason) and when a step or trigger last decrypted it (written at most once a minute).

ALTER TABLE credentials
  ADD COLUMN state text NOT NULL DEFAULT 'connected' CHECK (state IN ('connected', 'needs_reconnect', 'expired')),
  ADD COLUMN state_reason text CHECK (char_length(state_reason) <= 1000),
  ADD COLUMN last_used_at timestamptz;

-- Down Migration
ALTER TABLE credentials DROP COLUMN last_used_at, DROP COLUMN state_reason, DROP COLUMN state;
