// node bin/run-ts.mjs runtime/bench/retention-bench.ts --json   (npm run bench:retention)
// Pruning a million step rows: RUNS (default 50,000) finished runs of STEPS (default 20) steps each, with events, are
// written straight into the tables, all older than the retention time; then pruneRunData removes their data in
// its small transactions. Reported: rows, seconds, rows per second, the number of batches and the slowest batch
// (how long one batch holds its row locks), and that a run started meanwhile is untouched. Database: embedded
// (default) or DATABASE_URL. Prints one JSON object.
import { createSqlClient } from '../../db/index.ts';
import { pruneRunData } from '../store/run-retention.ts';
import { runBenchMain } from './bench-database.ts';

const RUNS = Number(process.env.RUNS ?? 50_000);
const STEPS = Number(process.env.STEPS ?? 20);
const BATCH = Number(process.env.BATCH ?? 200);

export async function measureRetention(url: string) {
  const sql = createSqlClient(url, { max: 2 });
  try {
    await sql`
      insert into workflows (id, name, trigger_type, current_version, hook_secret)
      values ('wf_bench_retention', 'retention bench', 'manual', 1, 'bench-secret-bench-secret')`;
    await sql`
      insert into workflow_versions (workflow_id, version, document, content_hash)
      values ('wf_bench_retention', 1, '{"schemaVersion":1,"name":"bench","trigger":{"type":"manual"},"nodes":[],"edges":[]}', 'bench')`;
    const seedStart = performance.now();
    await sql`
      insert into runs (id, workflow_id, version, status, trigger_type, trigger, output, created_at, started_at, finished_at)
      select 'run_b' || g, 'wf_bench_retention', 1, 'succeeded', 'manual', '{"n":1,"text":"some trigger data"}',
        '{"ok":true}', now() - interval '60 days', now() - interval '60 days', now() - interval '60 days' + interval '2 seconds'
      from generate_series(1, ${RUNS}) g`;
    await sql`
      insert into steps (run_id, node_id, path, status, attempt, input, output, started_at, finished_at)
      select 'run_b' || r, 'n' || s, '', 'succeeded', 1, '{"value":"an input of some size"}',
        '{"value":"an output of some size, repeated for realism"}', now() - interval '60 days', now() - interval '60 days'
      from generate_series(1, ${RUNS}) r, generate_series(1, ${STEPS}) s`;
    await sql`
      insert into run_events (run_id, type, payload)
      select 'run_b' || r, 'step.succeeded', jsonb_build_object('nodeId', 'n' || s, 'path', '')
      from generate_series(1, ${RUNS}) r, generate_series(1, ${STEPS}) s`;
    await sql`
      insert into runs (id, workflow_id, version, status, trigger_type, trigger, created_at, started_at, finished_at)
      values ('run_recent', 'wf_bench_retention', 1, 'succeeded', 'manual', '{"n":2}', now(), now(), now())`;
    await sql`analyze runs; analyze steps; analyze run_events`.simple();
    const seedSeconds = (performance.now() - seedStart) / 1000;

    const batchMs: number[] = [];
    const start = performance.now();
    let runs = 0;
    let steps = 0;
    for (;;) {
      const batchStart = performance.now();
      const pruned = await pruneRunData(sql, 30, { batchSize: BATCH, maxBatches: 1 });
      if (pruned.runs === 0) break;
      batchMs.push(performance.now() - batchStart);
      runs += pruned.runs;
      steps += pruned.steps;
    }
    const seconds = (performance.now() - start) / 1000;
    const [left] = await sql`select count(*)::int as n from steps`;
    const [recent] = await sql`select pruned_at from runs where id = 'run_recent'`;
    batchMs.sort((a, b) => a - b);
    return {
      runs,
      stepRows: steps,
      seedSeconds: Number(seedSeconds.toFixed(1)),
      seconds: Number(seconds.toFixed(2)),
      stepRowsPerSecond: Math.round(steps / seconds),
      batches: batchMs.length,
      batchSize: BATCH,
      batchMsP50: Number((batchMs[Math.floor(batchMs.length / 2)] ?? 0).toFixed(1)),
      batchMsMax: Number((batchMs.at(-1) ?? 0).toFixed(1)),
      stepRowsLeft: Number(left?.n ?? -1),
      recentRunUntouched: recent?.prunedAt === null,
    };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runBenchMain('retention', 'retention', 20, measureRetention);
}
