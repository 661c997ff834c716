-- Up Migration
-- Webhook secret rotation: after POST /api/workflows/:id/hook-secret/rotate the previous secret stays valid
-- until expires_at (the grace period), so senders can switch without dropping deliveries.
CREATE TABLE webhook_secret_grace (
  workflow_id text NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  secret text NOT NULL,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workflow_id, secret)
);
CREATE INDEX webhook_secret_grace_expiry ON webhook_secret_grace (expires_at);

-- Down Migration
DROP TABLE webhook_secret_grace;
