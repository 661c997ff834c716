-- Up Migration
-- The engine's state. A graphile-worker job is only a pointer ({ runId, nodeId, path }); these tables hold the truth.

CREATE TABLE workflows (
  id text PRIMARY KEY,
  name text NOT NULL,
  active boolean NOT NULL DEFAULT false,
  trigger_type text NOT NULL,
  hook_secret text NOT NULL,
  current_version integer NOT NULL DEFAULT 1,
  owner_ref text,
  conversation_ref text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE INDEX workflows_listing ON workflows (updated_at DESC) WHERE deleted_at IS NULL;
CREATE INDEX workflows_by_name ON workflows (name) WHERE deleted_at IS NULL;

-- Immutable: a new document is a new version.
CREATE TABLE workflow_versions (
  workflow_id text NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  version integer NOT NULL,
  document jsonb NOT NULL,
  content_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workflow_id, version)
);

CREATE TABLE runs (
  id text PRIMARY KEY,
  workflow_id text NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  version integer NOT NULL,
  status text NOT NULL CHECK (status IN ('queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled')),
  trigger_type text NOT NULL,
  trigger jsonb NOT NULL DEFAULT 'null'::jsonb,
  parent_run_id text REFERENCES runs (id) ON DELETE SET NULL,
  parent_node_id text,
  parent_path text,
  output jsonb,
  error jsonb,
  response jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX runs_by_workflow ON runs (workflow_id, created_at DESC);
CREATE INDEX runs_by_created ON runs (created_at DESC);
CREATE INDEX runs_unfinished ON runs (status) WHERE status IN ('queued', 'running', 'waiting');
CREATE INDEX runs_by_parent ON runs (parent_run_id) WHERE parent_run_id IS NOT NULL;

-- Exactly one run per webhook delivery id (24 h window) or schedule slot.
CREATE TABLE run_dedupe (
  workflow_id text NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  dedupe_key text NOT NULL,
  run_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workflow_id, dedupe_key)
);
CREATE INDEX run_dedupe_age ON run_dedupe (created_at);

-- The step ledger: one row per (run, node, foreach path). `fence` is bumped by every claim; a completion
-- that carries an older fence (a worker presumed dead) is rejected.
CREATE TABLE steps (
  run_id text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  node_id text NOT NULL,
  path text NOT NULL DEFAULT '',
  status text NOT NULL CHECK (status IN ('queued', 'running', 'retrying', 'waiting', 'succeeded', 'failed', 'skipped', 'cancelled')),
  attempt integer NOT NULL DEFAULT 0,
  fence bigint NOT NULL DEFAULT 0,
  origin_job text,
  branch text,
  input jsonb,
  output jsonb,
  error jsonb,
  state jsonb,
  wake_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  PRIMARY KEY (run_id, node_id, path)
);
CREATE INDEX steps_by_scope ON steps (run_id, path);
CREATE INDEX steps_by_origin ON steps (run_id, origin_job) WHERE origin_job IS NOT NULL;

CREATE TABLE run_events (
  seq bigserial PRIMARY KEY,
  run_id text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  type text NOT NULL,
  payload jsonb NOT NULL DEFAULT '{}'::jsonb,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX run_events_by_run ON run_events (run_id, seq);

CREATE TABLE approvals (
  id text PRIMARY KEY,
  run_id text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  node_id text NOT NULL,
  path text NOT NULL DEFAULT '',
  message text NOT NULL,
  approvers jsonb NOT NULL DEFAULT '[]'::jsonb,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled')),
  decided_by text,
  comment text,
  created_at timestamptz NOT NULL DEFAULT now(),
  decided_at timestamptz,
  UNIQUE (run_id, node_id, path)
);
CREATE INDEX approvals_pending ON approvals (created_at) WHERE status = 'pending';

-- Liveness of worker pools (graphile-worker locks jobs by pool id).
CREATE TABLE worker_heartbeats (
  worker_id text PRIMARY KEY,
  pid integer,
  hostname text,
  started_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE worker_heartbeats;
DROP TABLE approvals;
DROP TABLE run_events;
DROP TABLE steps;
DROP TABLE run_dedupe;
DROP TABLE runs;
DROP TABLE workflow_versions;
DROP TABLE workflows;
