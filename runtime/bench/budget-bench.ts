// node bin/run-ts.mjs runtime/bench/budget-bench.ts --json   (npm run bench:budget)
// Rate budgets per connection: 40 one-step runs post to one Slack workspace fake through one credential, run by
// two workers (each its own engine and pool). The fake answers 429 (Retry-After: 1) past 12 calls per second.
// `declared`: the connector declares 10 per second with a burst of 2 (at most 12 in any second, what the fake allows);
// `undeclared`: no declared limit, only the blocks 429s set. For each: runs succeeded, 429s the fake answered, the busiest second, calls per second.
// Database: embedded (default) or DATABASE_URL. Prints one JSON object.
import { createCredentialStore, parseSecretKey, slackConnector } from '../../connectors/index.ts';
import type { RateLimit } from '../../connectors/sdk/define.ts';
import { startSlackFake } from '../../connectors/slack/fake-server.ts';
import { createSqlClient } from '../../db/index.ts';
import { startRun } from '../engine/engine.ts';
import type { EngineWorker } from '../engine/worker.ts';
import { createEngineServices } from '../services.ts';
import { waitForRun } from '../store/run-store.ts';
import { runBenchMain } from './bench-database.ts';

const RUNS = 40;
const secretKey = Buffer.alloc(32, 5).toString('base64');

export type BudgetResult = {
  runs: number;
  succeeded: number;
  responses429: number;
  busiestSecond: number;
  callsPerSecond: number;
  seconds: number;
};

async function measure(
  url: string,
  rateLimit: RateLimit | undefined,
  credential: string,
): Promise<BudgetResult> {
  const slack = await startSlackFake({ rateLimit: { requests: 12, windowMs: 1_000 } });
  const sqls = [createSqlClient(url, { max: 10 }), createSqlClient(url, { max: 10 })];
  const workers: EngineWorker[] = [];
  try {
    const connector = { ...slackConnector, rateLimit };
    const engines = [];
    for (const sql of sqls) {
      const engine = await createEngineServices(
        { sql, url, kind: 'external', close: async () => {} },
        {
          env: { ...process.env, VMESH_SECRET_KEY: secretKey, VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' },
          connectors: [connector],
        },
      );
      engine.deps.connectorEnv.baseUrls.slack = slack.apiUrl;
      engines.push(engine);
      workers.push(await engine.startWorker({ concurrency: 5 }));
    }
    const [sql] = sqls;
    const [engine] = engines;
    if (!sql || !engine) throw new Error('no engine');
    const credentials = createCredentialStore({
      sql,
      key: parseSecretKey(secretKey),
      types: slackConnector.credential ? [slackConnector.credential] : [],
    });
    await credentials.set(credential, 'slack', { token: slack.token });
    const { id } = await engine.workflows.create({
      schemaVersion: 1,
      name: `budget bench ${credential}`,
      trigger: { type: 'manual' },
      nodes: [
        {
          id: 'post',
          uses: 'slack.postMessage',
          credential,
          retry: { maxAttempts: 10, initialDelayMs: 100, maxDelayMs: 2_000 },
          with: { channel: 'C0000000001', text: '{{ trigger.text }}' },
        },
      ],
      edges: [],
    });
    const started = Date.now();
    const runIds = await Promise.all(
      Array.from({ length: RUNS }, async (_, i) => (await startRun(sql, id, { text: `m${i}` })).runId),
    );
    const views = await Promise.all(runIds.map((runId) => waitForRun(sql, runId, { timeoutMs: 120_000 })));
    const seconds = (Date.now() - started) / 1000;
    const posts = slack.hits.filter((hit) => hit.method === 'chat.postMessage');
    const done = posts.filter((hit) => hit.status === 200);
    const busiest = Math.max(
      0,
      ...done.map((first) => done.filter((hit) => hit.at >= first.at && hit.at < first.at + 1_000).length),
    );
    const span = ((done.at(-1)?.at ?? 0) - (done[0]?.at ?? 0)) / 1000;
    return {
      runs: RUNS,
      succeeded: views.filter((view) => view.status === 'succeeded').length,
      responses429: posts.filter((hit) => hit.status === 429).length,
      busiestSecond: busiest,
      callsPerSecond: span > 0 ? Math.round(((done.length - 1) / span) * 10) / 10 : 0,
      seconds: Math.round(seconds * 10) / 10,
    };
  } finally {
    for (const worker of workers) await worker.stop();
    for (const sql of sqls) await sql.end({ timeout: 5 });
    await slack.close();
  }
}

export async function measureBudgets(url: string) {
  return {
    declared: await measure(url, { requests: 10, perSeconds: 1, burst: 2 }, 'declared'),
    undeclared: await measure(url, undefined, 'undeclared'),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runBenchMain('budget', 'budgets', 100, measureBudgets);
}
