-- Up Migration
-- What happened to a credential that people must hear of in their conversations: `credential.needs_reconnect`
-- (the provider refused it) and `credential.connected` (connected again through a link). Each row queues a job
-- (vmesh_credential_event) the app's worker turns into reconnect links, resumed runs and proposals shown satisfied.
CREATE TABLE credential_events (
  id bigserial PRIMARY KEY,
  credential_name text NOT NULL,
  type text NOT NULL CHECK (type IN ('credential.needs_reconnect', 'credential.connected')),
  details jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX credential_events_name ON credential_events (credential_name, created_at);

-- Runs that failed only because a credential must be connected again: resumed from the failed step once it is.
CREATE TABLE credential_waits (
  run_id text PRIMARY KEY,
  credential_name text NOT NULL,
  conversation_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  resumed_at timestamptz
);
CREATE INDEX credential_waits_name ON credential_waits (credential_name) WHERE resumed_at IS NULL;

-- The conversation (and proposal) a link was made for, so connecting it is told there.
ALTER TABLE connect_links ADD COLUMN conversation_id text;
ALTER TABLE connect_links ADD COLUMN proposal_id text;

-- Down Migration
ALTER TABLE connect_links DROP COLUMN proposal_id;
ALTER TABLE connect_links DROP COLUMN conversation_id;
DROP TABLE credential_waits;
DROP TABLE credential_events;
