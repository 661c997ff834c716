-- Up Migration
-- The journal of a core.agent step: each model turn, tool call and approval decision, in order (seq). A step that runs
-- again (its worker was killed, a retry) replays the journal instead of calling the model or the tool again.
CREATE TABLE agent_calls (
  run_id text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  node_id text NOT NULL,
  path text NOT NULL DEFAULT '',
  seq integer NOT NULL,
  kind text NOT NULL CHECK (kind IN ('memory', 'model', 'tool', 'summary', 'approval')),
  name text,
  input jsonb,
  output jsonb,
  is_error boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, node_id, path, seq)
);

-- A core.agent node's chat memory per session key: the recent turns and, in summary mode, a summary of older ones.
-- `last_writer` is the step (run/node/path) that wrote it last, so a step replayed after a crash saves once.
CREATE TABLE agent_memories (
  workflow_id text NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  node_id text NOT NULL,
  session_key text NOT NULL,
  turns jsonb NOT NULL DEFAULT '[]'::jsonb,
  summary text,
  last_writer text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workflow_id, node_id, session_key)
);

-- Down Migration
DROP TABLE agent_memories;
DROP TABLE agent_calls;
