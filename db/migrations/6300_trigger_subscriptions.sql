-- Up Migration
-- Webhook subscriptions a workflow's trigger registers at the vendor by itself (GitHub repository hooks…), kept in
-- step with the workflow by the vmesh_subscription job. `subscription_id` is the vendor's id while one exists;
-- `trigger_type`, `filters`, `credential` and `hook_url` are what it was created with (so it can be deleted after
-- the workflow changed), or what is being created while `status` is 'pending'. `last_error` is redacted.
CREATE TABLE trigger_subscriptions (
  workflow_id text PRIMARY KEY REFERENCES workflows (id) ON DELETE CASCADE,
  trigger_type text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'active', 'failed', 'deleting')),
  subscription_id text,
  filters jsonb,
  credential text,
  hook_url text,
  last_error jsonb,
  attempts integer NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE trigger_subscriptions;
