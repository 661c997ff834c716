-- Up Migration
-- One token bucket per (connector, credential), shared by every workflow and worker that uses the credential
-- (runtime/engine/connection-budget.ts). `tokens` is the bucket's level at `updated_at`; it refills at
-- `refill_per_second` up to `capacity` (both null for a connector that declares no limit: then only
-- `blocked_until` applies). `blocked_until` is set from a 429's Retry-After or rate-limit headers: no step on the
-- credential calls the vendor before it. `wake_at` is the latest time a waiting step was told to come back: the next
-- waiter is told one token interval later, so waiters come back one by one instead of all at once.
CREATE TABLE connection_budgets (
  connector_id text NOT NULL,
  credential text NOT NULL,
  tokens double precision NOT NULL,
  capacity double precision,
  refill_per_second double precision,
  blocked_until timestamptz,
  wake_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (connector_id, credential)
);

-- Down Migration
DROP TABLE connection_budgets;
