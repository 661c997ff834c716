-- Up Migration
-- The agent's state: conversations from every front-end, their messages, proposals awaiting a person's
-- decision, the audit log of decisions, and failure groups (identical failures are proposed once).

CREATE TABLE conversations (
  id text PRIMARY KEY,
  -- Which front-end the thread lives in (slack, discord, mcp, web, cli, system).
  front_end text NOT NULL,
  -- The front-end's own thread id; unique per front-end.
  thread_key text NOT NULL,
  -- Workflows made or changed in this conversation (self-healing posts fixes here).
  workflow_refs jsonb NOT NULL DEFAULT '[]'::jsonb,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (front_end, thread_key)
);

CREATE TABLE conversation_messages (
  id bigserial PRIMARY KEY,
  conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  -- user | assistant | tool : the model's history, provider-neutral.
  role text NOT NULL CHECK (role IN ('user', 'assistant', 'tool')),
  actor text,
  -- The provider-neutral ChatMessage (zod-parsed when read back).
  content jsonb NOT NULL,
  -- What the front-end showed for this turn (Reply[]), on the last assistant message of a turn.
  replies jsonb,
  prompt_version text,
  model text,
  usage jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversation_messages_by_conversation ON conversation_messages (conversation_id, id);

CREATE TABLE proposals (
  id text PRIMARY KEY,
  conversation_id text REFERENCES conversations (id) ON DELETE SET NULL,
  kind text NOT NULL CHECK (kind IN ('new', 'change', 'fix')),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'superseded')),
  -- The exact document a person approves; approval is bound to document_hash.
  document jsonb,
  document_hash text,
  summary text NOT NULL,
  -- RFC 6902 operations from the current version to this document (empty for new workflows).
  diff jsonb NOT NULL DEFAULT '[]'::jsonb,
  -- Who may approve (actor ids); empty means anyone in the conversation.
  approvers jsonb NOT NULL DEFAULT '[]'::jsonb,
  workflow_id text,
  base_version integer,
  run_id text,
  -- Missing credentials, effects (write steps, new destinations/credentials), warnings, dry run, fingerprint.
  details jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_by text NOT NULL,
  decided_by text,
  decided_at timestamptz,
  -- What the approval produced: workflow id/version, resumed run.
  outcome jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX proposals_pending ON proposals (created_at DESC) WHERE status = 'pending';
CREATE INDEX proposals_by_conversation ON proposals (conversation_id, created_at DESC);
CREATE INDEX proposals_by_workflow ON proposals (workflow_id) WHERE workflow_id IS NOT NULL;

CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  action text NOT NULL,
  subject_type text NOT NULL,
  subject_id text NOT NULL,
  details jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_by_subject ON audit_log (subject_type, subject_id, at);

CREATE TABLE failure_groups (
  fingerprint text PRIMARY KEY,
  workflow_id text NOT NULL,
  first_run_id text NOT NULL,
  last_run_id text NOT NULL,
  occurrences integer NOT NULL DEFAULT 1,
  proposal_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE failure_groups;
DROP TABLE audit_log;
DROP TABLE proposals;
DROP TABLE conversation_messages;
DROP TABLE conversations;
