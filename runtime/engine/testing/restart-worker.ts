// A worker process for the Postgres-restart chaos test: `node runtime/engine/testing/restart-worker.ts` with
// DATABASE_URL, VMESH_SECRET_KEY, VMESH_HTTP_ALLOW_HOSTS, CHAOS_LEASE_MS and CHAOS_CONCURRENCY. Like
// chaos-worker.ts (built-in connectors only) with a configurable concurrency. Prints "ready <workerId>" once it
// takes jobs; SIGTERM stops it gracefully.
import { builtinConnectors } from '../../../connectors/index.ts';
import { openDatabase, parseDatabaseConfig } from '../../../db/index.ts';
import { logger } from '../../../lib/logger.ts';
import { survivePostgresRestarts } from '../../../lib/process-guards.ts';
import { createEngineServices } from '../../services.ts';

survivePostgresRestarts(logger);
const database = await openDatabase(parseDatabaseConfig(), { migrate: false });
const engine = await createEngineServices(database, { connectors: builtinConnectors });
const worker = await engine.startWorker({
  concurrency: Number(process.env.CHAOS_CONCURRENCY) || 8,
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
