-- Up Migration
-- Connectors imported from OpenAPI documents (`vmesh connectors import-openapi`); rebuilt from `spec` at start.

CREATE TABLE openapi_connectors (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE CHECK (name ~ '^[a-z][a-z0-9_]{0,31}$'),
  spec jsonb NOT NULL,
  base_url text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE openapi_connectors;
