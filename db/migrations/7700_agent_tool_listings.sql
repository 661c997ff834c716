-- Up Migration
-- core.agent's MCP tools: a `listing` sub-step records the tools an MCP server offered, so a step that runs again
-- offers the same tools without listing them again. `started_at` is when a sub-step began (its duration on the run
-- page; for an approval, when the wait for a person began).
ALTER TABLE agent_calls DROP CONSTRAINT agent_calls_kind_check;
ALTER TABLE agent_calls ADD CONSTRAINT agent_calls_kind_check
  CHECK (kind IN ('memory', 'model', 'tool', 'summary', 'approval', 'listing'));
ALTER TABLE agent_calls ADD COLUMN started_at timestamptz;

-- Down Migration
ALTER TABLE agent_calls DROP COLUMN started_at;
DELETE FROM agent_calls WHERE kind = 'listing';
ALTER TABLE agent_calls DROP CONSTRAINT agent_calls_kind_check;
ALTER TABLE agent_calls ADD CONSTRAINT agent_calls_kind_check
  CHECK (kind IN ('memory', 'model', 'tool', 'summary', 'approval'));
