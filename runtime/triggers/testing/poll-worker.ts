// A worker process for the poll chaos tests: `node runtime/triggers/testing/poll-worker.ts` with DATABASE_URL,
// VMESH_SECRET_KEY, VMESH_HTTP_ALLOW_HOSTS, CHAOS_FEED_URL (the feed fake), CHAOS_LEASE_MS. Runs the test feed
// connector's poll trigger; survives Postgres restarts like restart-worker.ts. Prints "ready <workerId>" once it
// takes jobs; SIGTERM stops it gracefully.
import { openDatabase, parseDatabaseConfig } from '../../../db/index.ts';
import { logger } from '../../../lib/logger.ts';
import { survivePostgresRestarts } from '../../../lib/process-guards.ts';
import { createEngineServices } from '../../services.ts';
import { feedConnector } from './feed-connector.ts';

survivePostgresRestarts(logger);
const database = await openDatabase(parseDatabaseConfig(), { migrate: false });
const engine = await createEngineServices(database, { connectors: [feedConnector] });
engine.deps.connectorEnv.baseUrls.feed = process.env.CHAOS_FEED_URL;
const worker = await engine.startWorker({
  concurrency: 4,
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
