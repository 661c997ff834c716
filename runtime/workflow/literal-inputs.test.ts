import { describe, expect, it } from 'vitest';
import { builtinConnectors } from '../../connectors/index.ts';
import { createCatalog } from './catalog.ts';
import { validateWorkflow } from './validate.ts';

const catalog = createCatalog(builtinConnectors);

function queryWorkflow(withValue: Record<string, unknown>) {
  return {
    schemaVersion: 1,
    name: 'Look up a user',
    trigger: { type: 'webhook' },
    nodes: [{ id: 'lookup', uses: 'postgres.query', credential: 'warehouse', with: withValue }],
    edges: [],
  };
}

describe('literal inputs (postgres.query sql)', () => {
  it('refuses an expression inside the SQL text, so trigger data can never become SQL', () => {
    const report = validateWorkflow(
      queryWorkflow({ sql: "select * from users where name = '{{ trigger.body.name }}'" }),
      { catalog, knownCredentials: ['warehouse'] },
    );
    expect(report.valid).toBe(false);
    const issue = report.errors.find((candidate) => candidate.path === '/nodes/0/with/sql');
    expect(issue?.code).toBe('E_PARAMS');
    expect(issue?.hint).toContain('params');
  });

  it('accepts placeholders with the values passed as params (near miss)', () => {
    const report = validateWorkflow(
      queryWorkflow({ sql: 'select * from users where name = $1', params: ['{{ trigger.body.name }}'] }),
      { catalog, knownCredentials: ['warehouse'] },
    );
    expect(report.errors).toEqual([]);
    expect(report.valid).toBe(true);
  });
});
