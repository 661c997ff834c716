import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { loadScenarios, runEvals, toMarkdown } from '../run-evals.ts';

describe('eval scenarios on the scripted model (the pipeline CI can check without a key)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('has at least 30 well-formed scenarios, proposals and clarifying questions both covered', async () => {
    const scenarios = await loadScenarios();
    expect(scenarios.length).toBeGreaterThanOrEqual(30);
    expect(new Set(scenarios.map((s) => s.id)).size).toBe(scenarios.length);
    expect(scenarios.filter((s) => s.expect.outcome === 'clarify').length).toBeGreaterThanOrEqual(3);
  });

  it('every reference answer passes every check through the real service, validator and dry run', async () => {
    const scenarios = await loadScenarios();
    const report = await runEvals({ sql: db.sql, model: 'anthropic:scripted', scenarios, scripted: true });
    expect(report.mode).toBe('scripted');
    const failed = report.results.filter((r) => !r.pass).map((r) => `${r.id}: ${r.failures.join('; ')}`);
    expect(failed).toEqual([]);
    expect(report.results.every((r) => r.inputTokens > 0)).toBe(true);
    expect(toMarkdown(report)).toContain(`pass rate ${scenarios.length}/${scenarios.length}`);
  }, 120_000);
});
