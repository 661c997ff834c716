-- Up Migration
-- What a step consumed, recorded with the step by the commit that records its attempt: `sandboxCpuMs` (CPU time of
-- core.code in the sandbox process, summed over the step's attempts) and `llm` ({ model, inputTokens, outputTokens }
-- of an llm.* action, as "provider:model"). core.agent's model calls stay in agent_calls. Read by insights and
-- /metrics; a pruned run keeps the totals in runs.summary.
ALTER TABLE steps ADD COLUMN usage jsonb;

-- Merges an attempt's usage into what earlier attempts recorded: CPU adds up, the rest is the latest attempt's.
CREATE FUNCTION vmesh_merge_step_usage(earlier jsonb, latest jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN latest IS NULL THEN earlier
    WHEN earlier IS NULL THEN latest
    WHEN earlier ? 'sandboxCpuMs' AND latest ? 'sandboxCpuMs' THEN earlier || latest ||
      jsonb_build_object('sandboxCpuMs', (earlier->>'sandboxCpuMs')::float8 + (latest->>'sandboxCpuMs')::float8)
    ELSE earlier || latest
  END
$$;

-- Down Migration
DROP FUNCTION vmesh_merge_step_usage(jsonb, jsonb);
ALTER TABLE steps DROP COLUMN usage;
