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
    const report = await runEvals({
      sql: db.sql,
      model: 'anthropic:scripted',
      scenarios,
      scripted: true,
      databaseUrl: db.url,
    });
    expect(report.mode).toBe('scripted');
    const failed = report.results.filter((r) => !r.pass).map((r) => `${r.id}: ${r.failures.join('; ')}`);
    expect(failed).toEqual([]);
    expect(report.results.every((r) => r.inputTokens > 0)).toBe(true);
    // End to end: every scenario with expected calls ran on the engine and the fakes got them; the rest say why not.
    const ran = report.results.filter((r) => r.ran);
    const withCalls = scenarios.filter((s) => s.run && 'expectCalls' in s.run).map((s) => s.id);
    expect(ran.map((r) => r.id)).toEqual(withCalls);
    expect(ran.every((r) => r.callsOk === true)).toBe(true);
    expect(report.results.filter((r) => !r.ran).every((r) => r.runNote.startsWith('not run: '))).toBe(true);
    expect(toMarkdown(report)).toContain(`pass rate ${scenarios.length}/${scenarios.length}`);
  }, 120_000);

  it('fails a scenario whose expected call the fakes never received, and says which', async () => {
    const [scenario] = await loadScenarios(undefined, 'github-issue-to-slack');
    if (!scenario?.run || !('expectCalls' in scenario.run)) throw new Error('scenario 01 should have a run');
    const wrong = {
      ...scenario,
      run: {
        ...scenario.run,
        expectCalls: [
          { service: 'slack' as const, method: 'chat.postMessage', match: { channel: '#nowhere' } },
        ],
      },
    };
    const report = await runEvals({
      sql: db.sql,
      model: 'anthropic:scripted',
      scenarios: [wrong],
      scripted: true,
      databaseUrl: db.url,
    });
    const [result] = report.results;
    expect(result).toMatchObject({ pass: false, ran: true, callsOk: false, callsVerified: 0 });
    expect(result?.failures.join(' ')).toContain(
      'no slack chat.postMessage {"channel":"#nowhere"} (got: slack chat.postMessage)',
    );
  }, 60_000);
});
