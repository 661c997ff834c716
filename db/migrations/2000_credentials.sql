-- Up Migration
-- Stored credentials, encrypted with AES-256-GCM by connectors/credentials. The key is never stored here:
-- it comes from VMESH_SECRET_KEY or <VMESH_DATA_DIR>/secret.key. The credential id is the GCM
-- associated data, so a ciphertext copied to another row does not decrypt.

CREATE TABLE credentials (
  id uuid PRIMARY KEY,
  name text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
  type text NOT NULL CHECK (type ~ '^[a-z][a-z0-9_-]{0,63}$'),
  key_id text NOT NULL,
  iv bytea NOT NULL CHECK (octet_length(iv) = 12),
  ciphertext bytea NOT NULL,
  auth_tag bytea NOT NULL CHECK (octet_length(auth_tag) = 16),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE credentials;
