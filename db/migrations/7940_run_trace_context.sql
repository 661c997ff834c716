-- Up Migration
-- Each run belongs to a trace (W3C trace context): `traceparent` is the run's own span (trace id = the run's
-- correlation id, carried into its steps' outbound requests), `trace_parent_id` the span it was started under (a
-- webhook request's), null when nothing traced started it. New runs get a fresh trace unless the starter gives one;
-- old runs keep none (no table rewrite: the default applies to new rows only).
CREATE FUNCTION vmesh_new_traceparent() RETURNS text LANGUAGE sql VOLATILE AS $$
  SELECT '00-' || replace(gen_random_uuid()::text, '-', '') || '-'
    || substr(replace(gen_random_uuid()::text, '-', ''), 1, 16) || '-00'
$$;
ALTER TABLE runs ADD COLUMN traceparent text;
ALTER TABLE runs ADD COLUMN trace_parent_id text;
ALTER TABLE runs ALTER COLUMN traceparent SET DEFAULT vmesh_new_traceparent();

-- Down Migration
ALTER TABLE runs DROP COLUMN trace_parent_id;
ALTER TABLE runs DROP COLUMN traceparent;
DROP FUNCTION vmesh_new_traceparent();
