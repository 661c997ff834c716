-- Up Migration
-- Vendors that hand out their signing secret in a handshake delivery while the subscription is being created (Asana's
-- X-Hook-Secret): the hook route takes one handshake per creation attempt, only until this time; null = none expected.
ALTER TABLE trigger_subscriptions ADD COLUMN handshake_open_until timestamptz;

-- Down Migration
ALTER TABLE trigger_subscriptions DROP COLUMN handshake_open_until;
