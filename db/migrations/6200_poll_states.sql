-- Up Migration
-- Where each active poll-triggered workflow has got to (runtime/triggers/poll.ts). Keyed by workflow, not version,
-- so a new version keeps it; deactivation deletes it (the next activation records without firing again). `epoch`
-- changes whenever the row starts over, `version` on every committed poll: a poll commits only if both are still
-- what it read. `seen` is a bounded list of {id, at} of items handled at or above `floor_at`/`floor_id` (items at
-- or below the floor are old). `last_error` is redacted and never holds a secret.
CREATE TABLE poll_states (
  workflow_id text PRIMARY KEY REFERENCES workflows (id) ON DELETE CASCADE,
  epoch text NOT NULL,
  trigger_type text NOT NULL,
  version integer NOT NULL DEFAULT 0,
  primed_at timestamptz,
  watermark_at double precision,
  watermark_id text,
  floor_at double precision,
  floor_id text,
  seen jsonb NOT NULL DEFAULT '[]'::jsonb,
  connector_state jsonb,
  last_poll_at timestamptz,
  last_success_at timestamptz,
  consecutive_failures integer NOT NULL DEFAULT 0,
  last_error_code text,
  last_error text,
  next_poll_at timestamptz,
  stalled_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- What a trigger reported about itself (`trigger.stalled`, `trigger.recovered`): kept after the poll state is gone,
-- told to the conversation the workflow came from by the app's TRIGGER_EVENT_TASK.
CREATE TABLE trigger_events (
  id bigserial PRIMARY KEY,
  workflow_id text NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  type text NOT NULL,
  details jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX trigger_events_workflow ON trigger_events (workflow_id, created_at);

-- Down Migration
DROP TABLE trigger_events;
DROP TABLE poll_states;
