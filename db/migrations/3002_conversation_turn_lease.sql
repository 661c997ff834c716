-- Up Migration
-- One turn at a time per conversation, without holding a connection while the model thinks: a lease on the row.
-- A process that dies mid-turn loses the lease when it expires.
ALTER TABLE conversations ADD COLUMN turn_token text;
ALTER TABLE conversations ADD COLUMN turn_expires_at timestamptz;

-- Down Migration
ALTER TABLE conversations DROP COLUMN turn_expires_at;
ALTER TABLE conversations DROP COLUMN turn_token;
