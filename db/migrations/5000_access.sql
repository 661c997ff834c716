-- Up Migration
-- People and what they may do. Every front-end identity (a Slack user in a team, a Discord user in a guild,
-- an OIDC subject, an API token's holder, the local shell) maps to one user of a workspace; the user's role
-- decides what they may do (access/roles.ts). One workspace per installation for now ('default').
CREATE TABLE workspaces (
  id text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO workspaces (id, name) VALUES ('default', 'Default workspace');

CREATE TABLE users (
  id text PRIMARY KEY,
  workspace_id text NOT NULL DEFAULT 'default' REFERENCES workspaces (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$'),
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'builder', 'operator', 'viewer')),
  email text,
  created_at timestamptz NOT NULL DEFAULT now(),
  disabled_at timestamptz,
  UNIQUE (workspace_id, name)
);

-- provider: slack (subject TEAM:USER), discord (GUILD:USER), oidc (ISSUER|SUB), local (the shell: 'owner').
CREATE TABLE user_identities (
  provider text NOT NULL CHECK (provider ~ '^[a-z][a-z0-9_-]{0,31}$'),
  subject text NOT NULL CHECK (length(subject) BETWEEN 1 AND 512),
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, subject)
);
CREATE INDEX user_identities_by_user ON user_identities (user_id);

-- Owners and sharing. Rows made before this migration have no owner: workflows stay visible to the workspace,
-- credentials stay usable by the workspace (as they were); new credentials are private to their owner.
ALTER TABLE workflows
  ADD COLUMN workspace_id text NOT NULL DEFAULT 'default' REFERENCES workspaces (id),
  ADD COLUMN owner_id text REFERENCES users (id) ON DELETE SET NULL,
  ADD COLUMN scope text NOT NULL DEFAULT 'workspace' CHECK (scope IN ('private', 'workspace'));
ALTER TABLE credentials
  ADD COLUMN workspace_id text NOT NULL DEFAULT 'default' REFERENCES workspaces (id),
  ADD COLUMN owner_id text REFERENCES users (id) ON DELETE SET NULL,
  ADD COLUMN scope text NOT NULL DEFAULT 'workspace' CHECK (scope IN ('private', 'workspace'));
ALTER TABLE credentials ALTER COLUMN scope SET DEFAULT 'private';

-- Down Migration
ALTER TABLE credentials DROP COLUMN scope, DROP COLUMN owner_id, DROP COLUMN workspace_id;
ALTER TABLE workflows DROP COLUMN scope, DROP COLUMN owner_id, DROP COLUMN workspace_id;
DROP TABLE user_identities;
DROP TABLE users;
DROP TABLE workspaces;
