// A worker process for chaos tests: `node runtime/engine/testing/chaos-worker.ts` with DATABASE_URL,
// VMESH_SECRET_KEY, VMESH_HTTP_ALLOW_HOSTS, CHAOS_LEASE_MS and optionally CHAOS_SLACK_URL (the Slack fake's
// API URL). Prints "ready <workerId>" once it takes jobs; SIGTERM stops it gracefully.
import { builtinConnectors } from '../../../connectors/index.ts';
import { openDatabase, parseDatabaseConfig } from '../../../db/index.ts';
import { createEngineServices } from '../../services.ts';
import { chaosConnector } from './chaos-connector.ts';

const database = await openDatabase(parseDatabaseConfig());
const engine = await createEngineServices(database, { connectors: [...builtinConnectors, chaosConnector] });
if (process.env.CHAOS_SLACK_URL) engine.deps.connectorEnv.baseUrls.slack = process.env.CHAOS_SLACK_URL;
const worker = await engine.startWorker({
  concurrency: 2,
  leaseMs: Number(process.env.CHAOS_LEASE_MS) || 10_000,
});
process.stdout.write(`ready ${worker.workerId}\n`);
let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void worker
    .stop()
    .then(() => database.close())
    .then(() => process.exit(0));
});
