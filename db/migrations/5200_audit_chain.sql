-- Up Migration
-- The audit log becomes an append-only hash chain (written by access/audit.ts): every entry names who did it
-- (user id, name, the front-end identity), from where (`via`), the document hashes before and after, and
-- hash = sha256(prev_hash || canonical JSON of the entry). Appends take the one-row chain head FOR UPDATE, so
-- appends from several processes keep one chain. The database refuses UPDATE, DELETE and TRUNCATE, except:
--   * sealing: an entry written before this migration (hash NULL) may receive its prev_hash and hash once;
--   * pruning: audit_prune() moves the anchor (the hash of the last pruned entry) and deletes entries at or
--     before it, which a verifier then no longer expects.
ALTER TABLE audit_log
  ADD COLUMN workspace_id text NOT NULL DEFAULT 'default',
  ADD COLUMN actor_id text,
  ADD COLUMN identity text,
  ADD COLUMN via text NOT NULL DEFAULT 'system'
    CHECK (via IN ('api', 'web', 'slack', 'discord', 'mcp', 'cli', 'system')),
  ADD COLUMN before_hash text,
  ADD COLUMN after_hash text,
  ADD COLUMN prev_hash text,
  ADD COLUMN hash text;
-- New entries are always chained; old ones are sealed by the first append.
ALTER TABLE audit_log ADD CONSTRAINT audit_log_chained CHECK (hash IS NOT NULL AND prev_hash IS NOT NULL) NOT VALID;
CREATE INDEX audit_log_by_at ON audit_log (at);
CREATE INDEX audit_log_by_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_unsealed ON audit_log (id) WHERE hash IS NULL;

CREATE TABLE audit_chain (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  -- The last entry appended (NULL id: none yet); head_hash starts at the genesis value.
  head_id bigint,
  head_hash text NOT NULL,
  -- The last entry pruned: entries up to anchor_id are gone, the next one's prev_hash is anchor_hash.
  anchor_id bigint NOT NULL DEFAULT 0,
  anchor_hash text NOT NULL,
  pruned_at timestamptz
);
INSERT INTO audit_chain (id, head_id, head_hash, anchor_id, anchor_hash)
VALUES (true, NULL, 'genesis', 0, 'genesis');

CREATE FUNCTION audit_log_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF OLD.hash IS NULL
       AND (to_jsonb(NEW) - 'prev_hash' - 'hash') = (to_jsonb(OLD) - 'prev_hash' - 'hash') THEN
      RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only: entry % may not be changed', OLD.id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF TG_OP = 'DELETE' THEN
    IF OLD.id <= (SELECT anchor_id FROM audit_chain) THEN
      RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only: entry % may not be deleted (only audit_prune removes old entries)', OLD.id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RAISE EXCEPTION 'audit_log is append-only: % is refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_append_only
  BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_guard();
CREATE TRIGGER audit_log_no_truncate
  BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_guard();

-- The anchor only moves forward, the head only to a newer entry.
CREATE FUNCTION audit_chain_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' THEN
    RAISE EXCEPTION 'audit_chain has one row; % is refused', TG_OP USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.anchor_id < OLD.anchor_id OR coalesce(NEW.head_id, 0) < coalesce(OLD.head_id, 0) THEN
    RAISE EXCEPTION 'audit_chain moves only forward' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER audit_chain_forward_only
  BEFORE UPDATE OR DELETE ON audit_chain
  FOR EACH ROW EXECUTE FUNCTION audit_chain_guard();
CREATE TRIGGER audit_chain_no_truncate
  BEFORE TRUNCATE ON audit_chain
  FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_guard();

-- Retention: deletes the entries older than `cutoff` (a prefix of the chain: up to the newest such entry) and
-- records the last one's hash as the anchor. Returns how many entries went.
CREATE FUNCTION audit_prune(cutoff timestamptz) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  last_id bigint;
  last_hash text;
  removed bigint;
BEGIN
  PERFORM 1 FROM audit_chain WHERE id FOR UPDATE;
  SELECT id, hash INTO last_id, last_hash FROM audit_log
    WHERE at < cutoff AND hash IS NOT NULL ORDER BY id DESC LIMIT 1;
  IF last_id IS NULL THEN
    RETURN 0;
  END IF;
  UPDATE audit_chain SET anchor_id = last_id, anchor_hash = last_hash, pruned_at = now() WHERE id;
  DELETE FROM audit_log WHERE id <= last_id;
  GET DIAGNOSTICS removed = ROW_COUNT;
  RETURN removed;
END;
$$;

-- Down Migration
DROP FUNCTION audit_prune(timestamptz);
DROP TRIGGER audit_chain_no_truncate ON audit_chain;
DROP TRIGGER audit_chain_forward_only ON audit_chain;
DROP FUNCTION audit_chain_guard();
DROP TABLE audit_chain;
DROP TRIGGER audit_log_no_truncate ON audit_log;
DROP TRIGGER audit_log_append_only ON audit_log;
DROP FUNCTION audit_log_guard();
DROP INDEX audit_log_unsealed;
DROP INDEX audit_log_by_actor;
DROP INDEX audit_log_by_at;
ALTER TABLE audit_log DROP CONSTRAINT audit_log_chained;
ALTER TABLE audit_log
  DROP COLUMN hash, DROP COLUMN prev_hash, DROP COLUMN after_hash, DROP COLUMN before_hash,
  DROP COLUMN via, DROP COLUMN identity, DROP COLUMN actor_id, DROP COLUMN workspace_id;
