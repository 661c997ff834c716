-- Up Migration
-- Connector documentation chunks for retrieval (retrieval/). One row per chunk; every chunk names the
-- id it documents (`slack.postMessage`, `core.if`, `github.issueOpened`, `slack`). The embedding is stored as
-- real[] with its model and dimension, so switching embedding models re-embeds. When the server has pgvector,
-- retrieval/ adds an `embedding_vec vector` column and an HNSW index at start (not here: the
-- extension may be missing, e.g. on the embedded server).

CREATE TABLE doc_chunks (
  id bigserial PRIMARY KEY,
  source_id text NOT NULL,
  chunk_index integer NOT NULL,
  doc_id text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('action', 'trigger', 'core', 'connector')),
  title text NOT NULL,
  content text NOT NULL,
  content_hash text NOT NULL,
  model text NOT NULL,
  dims integer NOT NULL CHECK (dims > 0),
  embedding real[] NOT NULL,
  tsv tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english'::regconfig, doc_id || ' ' || title), 'A') ||
    setweight(to_tsvector('english'::regconfig, content), 'B')
  ) STORED,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (source_id, chunk_index),
  CHECK (cardinality(embedding) = dims)
);

CREATE INDEX doc_chunks_tsv_idx ON doc_chunks USING gin (tsv);
CREATE INDEX doc_chunks_source_idx ON doc_chunks (source_id);
CREATE INDEX doc_chunks_model_idx ON doc_chunks (model);

-- Down Migration
DROP TABLE doc_chunks;
