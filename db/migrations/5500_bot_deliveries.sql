-- Up Migration
-- Delivery ids a chat platform sent (Discord interaction ids, Slack event ids and button clicks), so a replay
-- after a restart or to another server process starts no second turn. Rows older than a day are pruned.
CREATE TABLE bot_deliveries (
  id text PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bot_deliveries_created_at ON bot_deliveries (created_at);

-- Down Migration
DROP TABLE bot_deliveries;
