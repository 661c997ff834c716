-- Up Migration
-- Alert rules (runtime/alerts): a condition over runs, steps, poll triggers or credentials, for one workflow or all
-- (workflow_id null), and where to tell. `secret` signs webhook deliveries (HMAC-SHA256); it never leaves the server
-- except as the one-time answer to the rule's creation. The evaluation tick takes the rules evaluated longest ago.
CREATE TABLE alert_rules (
  id text PRIMARY KEY,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  workflow_id text REFERENCES workflows (id) ON DELETE CASCADE,
  condition jsonb NOT NULL,
  destination jsonb NOT NULL,
  secret text NOT NULL,
  cooldown_minutes integer NOT NULL DEFAULT 60 CHECK (cooldown_minutes BETWEEN 1 AND 43200),
  enabled boolean NOT NULL DEFAULT true,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  evaluated_at timestamptz
);
CREATE INDEX alert_rules_due ON alert_rules (evaluated_at NULLS FIRST) WHERE enabled;
CREATE INDEX alert_rules_workflow ON alert_rules (workflow_id);

-- One open alert per rule and subject (a workflow, a credential, a step) until it recovers.
CREATE TABLE alert_states (
  rule_id text NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
  subject text NOT NULL,
  -- What the recovery message names and where it goes (the subject is gone from the evaluation by then).
  label text NOT NULL,
  workflow_ids text[] NOT NULL DEFAULT '{}',
  opened_at timestamptz NOT NULL DEFAULT now(),
  notified_at timestamptz NOT NULL DEFAULT now(),
  notifications integer NOT NULL DEFAULT 1,
  PRIMARY KEY (rule_id, subject)
);

-- What was sent: fired, re-notified (after the cooldown) and recovered, with the delivery's outcome (redacted).
CREATE TABLE alert_events (
  id bigserial PRIMARY KEY,
  rule_id text NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
  workflow_id text,
  subject text NOT NULL,
  type text NOT NULL CHECK (type IN ('fired', 'renotified', 'recovered')),
  message text NOT NULL,
  link text,
  delivered boolean NOT NULL DEFAULT false,
  delivery_error text CHECK (char_length(delivery_error) <= 1000),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_events_rule ON alert_events (rule_id, created_at DESC);
CREATE INDEX alert_events_recent ON alert_events (created_at DESC);

-- The shape of each step's recent successful outputs: field paths only, never values. `present` maps a path to
-- how many successful outputs in a row had it; `missing` maps a path that had been present in a row for long
-- enough to how many outputs in a row lacked it (until it comes back, or the new shape is accepted).
CREATE TABLE step_shapes (
  workflow_id text NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  node_id text NOT NULL,
  present jsonb NOT NULL DEFAULT '{}'::jsonb,
  missing jsonb NOT NULL DEFAULT '{}'::jsonb,
  last_run_id text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workflow_id, node_id)
);
-- How far the shape learner has read each workflow's finished runs (finished_at, then run id), and when it last
-- looked (a global output_shape rule reads the workflows looked at longest ago first).
CREATE TABLE step_shape_cursors (
  workflow_id text PRIMARY KEY REFERENCES workflows (id) ON DELETE CASCADE,
  finished_at timestamptz NOT NULL,
  run_id text NOT NULL,
  read_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE step_shape_cursors;
DROP TABLE step_shapes;
DROP TABLE alert_events;
DROP TABLE alert_states;
DROP TABLE alert_rules;
