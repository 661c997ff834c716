-- Up Migration
-- The knowledge base (`kb.*` actions, retrieval/knowledge-base.ts): documents a workflow stores in a named
-- collection of its workspace, cut into chunks. The embedding is little-endian float32 bytes with its model and
-- dimension; when the server has pgvector, retrieval/ adds `embedding_vec vector` and an HNSW index at start (not
-- here: the extension may be missing, e.g. on the embedded server). The full text is weighted like doc_chunks.

CREATE TABLE kb_collections (
  workspace_id text NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  -- Bumped by every write to the collection's chunks, in the same transaction: searches reload their
  -- in-process caches (vector matrix, lexeme statistics) when it moved.
  version bigint NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, name)
);

CREATE TABLE kb_chunks (
  id bigserial PRIMARY KEY,
  workspace_id text NOT NULL,
  collection text NOT NULL,
  doc_id text NOT NULL,
  chunk_index integer NOT NULL,
  content text NOT NULL,
  model text NOT NULL,
  dims integer NOT NULL CHECK (dims > 0),
  embedding_f32 bytea NOT NULL CHECK (length(embedding_f32) = 4 * dims),
  tsv tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english'::regconfig, doc_id), 'A') ||
    setweight(to_tsvector('english'::regconfig, content), 'B')
  ) STORED,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, collection, doc_id, chunk_index),
  FOREIGN KEY (workspace_id, collection) REFERENCES kb_collections (workspace_id, name) ON DELETE CASCADE
);

CREATE INDEX kb_chunks_tsv_idx ON kb_chunks USING gin (tsv) WITH (fastupdate = off);

-- Down Migration
DROP TABLE kb_chunks;
DROP TABLE kb_collections;
