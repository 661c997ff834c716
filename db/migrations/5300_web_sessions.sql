-- Up Migration
-- Web sign-in. A session's id is the SHA-256 (hex, domain-separated) of the random value in the browser's `vmesh_session`
-- cookie: the value itself is never stored, so a copy of this table cannot be replayed as a cookie. Its CSRF
-- token is derived from the cookie value too (app/web-auth/session-store.ts) and is not stored either.
CREATE TABLE web_sessions (
  id text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{64}$'),
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- How the person signed in: 'oidc' or 'link' (a one-time link from `vmesh login-link`).
  method text NOT NULL CHECK (method IN ('oidc', 'link')),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  -- The absolute end; the idle timeout is counted from last_seen_at (both set by VMESH_SESSION_* settings).
  expires_at timestamptz NOT NULL,
  idle_timeout_ms bigint NOT NULL CHECK (idle_timeout_ms > 0),
  revoked_at timestamptz,
  -- For display only (which browser, from where); never used to decide anything.
  user_agent text CHECK (length(user_agent) <= 512),
  ip text CHECK (length(ip) <= 64)
);
CREATE INDEX web_sessions_by_user ON web_sessions (user_id);

-- One-time sign-in links (`vmesh login-link NAME`): id = SHA-256 (hex) of the token in the URL.
CREATE TABLE web_login_links (
  id text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{64}$'),
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX web_login_links_by_user ON web_login_links (user_id);

-- An OIDC sign-in under way: state, nonce and PKCE verifier of one authorization request, bound to the
-- browser that started it by the `vmesh_oidc` cookie (id = SHA-256 hex of its value). Deleted when used: used once.
CREATE TABLE web_oidc_attempts (
  id text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{64}$'),
  state text NOT NULL,
  nonce text NOT NULL,
  code_verifier text NOT NULL,
  return_to text NOT NULL CHECK (length(return_to) <= 1024),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);

-- Down Migration
DROP TABLE web_oidc_attempts;
DROP TABLE web_login_links;
DROP TABLE web_sessions;
