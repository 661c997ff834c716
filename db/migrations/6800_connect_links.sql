-- Up Migration
-- One-time links to connect a credential in a browser (`vmesh credentials connect NAME`): a page where the person
-- pastes a key, or (oauth2) a redirect to the provider's consent page and back to /oauth/callback. Only the token's
-- SHA-256 is stored; the settings (client secret included), the PKCE verifier and the OAuth `state` are sealed with
-- the credential cipher, and only the state's SHA-256 is kept in clear to find the link again at the callback.
CREATE TABLE connect_links (
  token_hash text PRIMARY KEY,
  credential_name text NOT NULL,
  type text NOT NULL,
  key_id text NOT NULL,
  iv bytea NOT NULL,
  ciphertext bytea NOT NULL,
  auth_tag bytea NOT NULL,
  created_by text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- True when the local owner (the shell, the shared token) asked: the link itself is the proof.
  link_is_bearer boolean NOT NULL DEFAULT false,
  state_hash text UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL DEFAULT now() + interval '30 minutes',
  opened_at timestamptz,
  used_at timestamptz
);
CREATE INDEX connect_links_expiry ON connect_links (expires_at);

-- Down Migration
DROP TABLE connect_links;
