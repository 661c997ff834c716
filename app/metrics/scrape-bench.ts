// node bin/run-ts.mjs app/metrics/scrape-bench.ts --json   (npm run bench:metrics)
// What one /metrics scrape costs per run event it counts: RUNS (default 2,000) runs of STEPS (default 8) steps are
// written straight into the tables after the counters' baseline, then one catch-up reads their events
// (run.created, run.succeeded and each step.succeeded). Reported: events, milliseconds, microseconds per event
// and the step observations, so a change to the read shows as a ratio in one run. Prints one JSON object.
import { Registry } from 'prom-client';
import { createSqlClient } from '../../db/index.ts';
import { runBenchMain } from '../../runtime/bench/bench-database.ts';
import { registerRunEventMetrics } from './run-event-metrics.ts';

const RUNS = Number(process.env.RUNS ?? 2_000);
const STEPS = Number(process.env.STEPS ?? 8);
const ROUNDS = Number(process.env.ROUNDS ?? 3);

async function seed(sql: ReturnType<typeof createSqlClient>, round: number): Promise<void> {
  const prefix = `run_m${round}_`;
  await sql`
    insert into runs (id, workflow_id, version, status, trigger_type, trigger, created_at, started_at, finished_at)
    select ${prefix} || g, 'wf_bench_metrics', 1, 'succeeded', 'manual', '{}', now(), now(), now()
    from generate_series(1, ${RUNS}) g`;
  await sql`
    insert into steps (run_id, node_id, path, status, attempt, input, output, started_at, finished_at)
    select ${prefix} || r, 'n' || s, '', 'succeeded', 1, '{}', '{}', now(), now() + interval '12 milliseconds'
    from generate_series(1, ${RUNS}) r, generate_series(1, ${STEPS}) s`;
  await sql`
    insert into run_events (run_id, type, payload)
    select ${prefix} || r, kind, case when kind = 'step.succeeded' then jsonb_build_object('nodeId', 'n' || s, 'path', '')
      else '{}'::jsonb end
    from generate_series(1, ${RUNS}) r,
      lateral (select 'run.created' as kind, 0 as s union all
        select 'step.succeeded', s from generate_series(1, ${STEPS}) s union all select 'run.succeeded', 0) e
    order by r`;
}

export async function measureScrape(url: string) {
  const sql = createSqlClient(url, { max: 2 });
  try {
    const nodes = Array.from({ length: STEPS }, (_, i) => ({
      id: `n${i + 1}`,
      uses: i % 2 ? 'core.transform' : 'core.if',
      with: {},
    }));
    const document = { schemaVersion: 1, name: 'bench', trigger: { type: 'manual' }, nodes, edges: [] };
    await sql`
      insert into workflows (id, name, trigger_type, current_version, hook_secret)
      values ('wf_bench_metrics', 'metrics bench', 'manual', 1, 'bench-secret-bench-secret')`;
    await sql`
      insert into workflow_versions (workflow_id, version, document, content_hash)
      values ('wf_bench_metrics', 1, ${sql.json(document)}, 'bench')`;
    const registry = new Registry();
    const metrics = registerRunEventMetrics(registry, sql);
    await metrics.catchUp();
    const perRound: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await seed(sql, round);
      await sql`analyze runs; analyze steps; analyze run_events`.simple();
      const started = performance.now();
      await metrics.catchUp();
      perRound.push(performance.now() - started);
    }
    const text = await registry.metrics();
    const observed = Number(
      /vmesh_step_duration_seconds_count\{[^}]*node_type="core.if"[^}]*\} (\d+)/.exec(text)?.[1],
    );
    const events = RUNS * (STEPS + 2);
    const sorted = [...perRound].sort((a, b) => a - b);
    const ms = sorted[Math.floor(sorted.length / 2)] ?? 0;
    return {
      eventsPerScrape: events,
      scrapeMs: Number(ms.toFixed(1)),
      microsecondsPerEvent: Number(((ms * 1000) / events).toFixed(2)),
      rounds: perRound.map((value) => Number(value.toFixed(1))),
      coreIfObservations: observed,
      expectedCoreIfObservations: RUNS * Math.ceil(STEPS / 2) * ROUNDS,
    };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runBenchMain('metrics-scrape', 'metricsScrape', 10, measureScrape);
}
