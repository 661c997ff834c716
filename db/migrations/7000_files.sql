-- Up Migration
-- Files that steps write (a FileRef in step data points here). The bytes are in `file_chunks` (pieces of about
-- 256 KiB, so no file is ever whole in memory) or, with VMESH_FILES_S3_BUCKET, in an S3 object at `storage_key`.
-- A file belongs to its run and goes with it; an S3 object whose row goes leaves a row in `file_deletions`, which
-- the files sweep deletes from the bucket.
CREATE TABLE files (
  id text PRIMARY KEY,
  run_id text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  node_id text NOT NULL,
  name text NOT NULL,
  content_type text NOT NULL,
  size bigint NOT NULL DEFAULT 0,
  sha256 text,
  storage text NOT NULL CHECK (storage IN ('postgres', 's3')),
  storage_key text,
  status text NOT NULL DEFAULT 'writing' CHECK (status IN ('writing', 'stored')),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX files_by_run ON files (run_id);

CREATE TABLE file_chunks (
  file_id text NOT NULL REFERENCES files (id) ON DELETE CASCADE,
  seq integer NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (file_id, seq)
);

CREATE TABLE file_deletions (
  storage_key text PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION files_forget_object() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO file_deletions (storage_key) VALUES (OLD.storage_key) ON CONFLICT DO NOTHING;
  RETURN OLD;
END $$;
CREATE TRIGGER files_forget_object AFTER DELETE ON files
  FOR EACH ROW WHEN (OLD.storage = 's3' AND OLD.storage_key IS NOT NULL) EXECUTE FUNCTION files_forget_object();

-- Down Migration
DROP TRIGGER files_forget_object ON files;
DROP FUNCTION files_forget_object();
DROP TABLE file_deletions;
DROP TABLE file_chunks;
DROP TABLE files;
