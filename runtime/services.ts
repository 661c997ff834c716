import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { auditRetentionDays, pruneAudit } from '../access/index.ts';
import type { ConnectorDefinition, KnowledgeBasePort } from '../connectors/index.ts';
import {
  builtinConnectors,
  createCredentialStore,
  createSafeFetchFromEnv,
  createSocketOpenerFromEnv,
  credentialTypesOf,
  loadSecretKey,
  type OAuth2App,
  oauth2ProvidersOf,
  parseOAuth2Apps,
  parseStdioServers,
} from '../connectors/index.ts';
import type { Database } from '../db/index.ts';
import { logger } from '../lib/index.ts';
import { registerAlertRoutes } from './api/alert-routes.ts';
import { registerAuditRoutes } from './api/audit-routes.ts';
import { registerConnectRoutes } from './api/connect-routes.ts';
import { installErrorHandler } from './api/http-errors.ts';
import { registerInsightsRoutes } from './api/insights-routes.ts';
import { registerRetentionRoutes } from './api/retention-routes.ts';
import { registerApiRoutes } from './api/routes.ts';
import type { NodeRunnerDeps } from './engine/node-runner.ts';
import { type EngineWorker, startEngineWorker, type WorkerTasks } from './engine/worker.ts';
import { createConfiguredFileStore, parseFilesConfig } from './files/index.ts';
import { type ConnectLinks, createConnectLinks } from './store/connect-links.ts';
import { createCredentialService } from './store/credential-service.ts';
import { createOAuth2Tokens } from './store/oauth2-tokens.ts';
import { pruneRunData, runRetentionDays } from './store/run-retention.ts';
import { createWorkflowService, type WorkflowService } from './store/workflow-service.ts';
import { registerFormRoute } from './triggers/form-route.ts';
import { createFormTokens } from './triggers/form-token.ts';
import { registerResumeRoute } from './triggers/resume-route.ts';
import { triggerCrontab, triggerSync, triggerTasks } from './triggers/trigger-kinds.ts';
import { registerWebhookRoute } from './triggers/webhook.ts';
import { registerHookSecretRoute } from './triggers/webhook-secret-route.ts';

export type EngineServices = {
  deps: NodeRunnerDeps;
  workflows: WorkflowService;
  /** Adds /api/*, /hooks/*, /resume/* and /forms/* to an HTTP server. */
  registerHttp(app: FastifyInstance, options: { publicUrl: string }): void;
  /** One-time connect links under `publicUrl` (the same store, key and guarded fetch as the routes). */
  connectLinks(publicUrl: string): ConnectLinks;
  startWorker(options?: {
    concurrency?: number;
    /** Most job slots one run may hold (default env VMESH_RUN_MAX_CONCURRENCY, else half of `concurrency`). */
    runConcurrency?: number;
    leaseMs?: number;
    tasks?: WorkerTasks;
    /** Crontab lines for `tasks` this worker brings (the app's alert evaluation). */
    crontab?: string;
  }): Promise<EngineWorker>;
};

/** The worker task that prunes audit entries older than VMESH_AUDIT_RETENTION_DAYS, run hourly by cron. */
export const AUDIT_PRUNE_TASK = 'vmesh_audit_prune';
const AUDIT_PRUNE_CRONTAB = `17 * * * * ${AUDIT_PRUNE_TASK}`;
/** The worker task that deletes the S3 objects of files whose runs were deleted, run every 10 minutes by cron. */
export const FILES_SWEEP_TASK = 'vmesh_files_sweep';
const FILES_SWEEP_CRONTAB = `*/10 * * * * ${FILES_SWEEP_TASK}`;

export const RUN_PRUNE_TASK = 'vmesh_run_prune';
const RUN_PRUNE_CRONTAB = `37 * * * * ${RUN_PRUNE_TASK}`;

/**
 * VMESH_PUBLIC_URL when it is set to a URL: only an explicit one is given to vendors (the default
 * http://HOST:PORT is this machine's own address, which a vendor cannot reach).
 */
function configuredPublicUrl(env: NodeJS.ProcessEnv): string | undefined {
  const parsed = z.url().safeParse(env.VMESH_PUBLIC_URL);
  return parsed.success ? parsed.data : undefined;
}

/** Wires the engine from a database and the environment: connectors, credentials, safe fetch, worker and routes. */
export async function createEngineServices(
  database: Database,
  options: {
    env?: NodeJS.ProcessEnv;
    dataDir?: string;
    connectors?: readonly ConnectorDefinition[];
    /** The installation's OAuth apps (the server config's); default: read from `env`. */
    oauth2Apps?: ReadonlyMap<string, OAuth2App>;
    /** What the `kb.*` actions store in and search (retrieval's createKnowledgeBase; app/ and cli/ wire it). */
    knowledgeBase?: KnowledgeBasePort;
  } = {},
): Promise<EngineServices> {
  const env = options.env ?? process.env;
  const connectors = options.connectors ?? builtinConnectors;
  const oauth2Providers = oauth2ProvidersOf(connectors);
  const oauth2Apps = options.oauth2Apps ?? parseOAuth2Apps(env, oauth2Providers);
  const key = await loadSecretKey({ dataDir: options.dataDir ?? env.VMESH_DATA_DIR ?? '.data', env });
  const credentials = createCredentialStore({
    sql: database.sql,
    key,
    types: credentialTypesOf(connectors),
    log: logger,
  });
  // Invalid JSON here stops the start-up: a typo in the operator's allow-list must not go unnoticed.
  const stdioServers = parseStdioServers(env.VMESH_MCP_STDIO_SERVERS);
  const safeFetch = createSafeFetchFromEnv(env);
  const files = createConfiguredFileStore(database.sql, parseFilesConfig(env));
  const deps: NodeRunnerDeps = {
    sql: database.sql,
    connectors,
    credentials,
    connectorEnv: {
      baseUrls: {},
      fetch: safeFetch,
      openSocket: createSocketOpenerFromEnv(env),
      stdioServers,
      logger,
      knowledgeBase: options.knowledgeBase,
    },
    oauth2Tokens: createOAuth2Tokens({
      sql: database.sql,
      store: credentials,
      fetch: safeFetch,
      providers: oauth2Providers,
    }),
    logger,
    publicUrl: configuredPublicUrl(env),
    files,
  };
  const credentialService = createCredentialService({
    sql: database.sql,
    store: credentials,
    connectors,
    env: deps.connectorEnv,
    oauth2Tokens: deps.oauth2Tokens,
  });
  const retentionDays = auditRetentionDays(env);
  const runRetention = runRetentionDays(env);
  const auditTasks = {
    [AUDIT_PRUNE_TASK]: async () => {
      const removed = await pruneAudit(database.sql, retentionDays);
      if (removed > 0) logger.info({ removed, retentionDays }, 'pruned old audit entries');
    },
    [RUN_PRUNE_TASK]: async () => {
      const pruned = await pruneRunData(database.sql, runRetention);
      if (pruned.runs > 0)
        logger.info(
          { ...pruned, retentionDays: runRetention },
          'pruned the data of old runs (their records stay)',
        );
    },
    [FILES_SWEEP_TASK]: async () => {
      const removed = await files.sweep();
      if (removed > 0) logger.info({ removed }, 'deleted the stored objects of deleted files');
    },
  };
  const workflows = createWorkflowService(
    database.sql,
    connectors,
    { onTriggerChange: triggerSync(connectors) },
    { stdioServers },
  );
  const linksByUrl = new Map<string, ConnectLinks>();
  const connectLinks = (publicUrl: string): ConnectLinks => {
    const made =
      linksByUrl.get(publicUrl) ??
      createConnectLinks({
        sql: database.sql,
        key,
        store: credentials,
        types: credentialTypesOf(connectors),
        publicUrl,
        fetch: safeFetch,
        oauth2: { providers: oauth2Providers, apps: oauth2Apps },
      });
    linksByUrl.set(publicUrl, made);
    return made;
  };
  return {
    deps,
    workflows,
    registerHttp(app, http) {
      installErrorHandler(app);
      registerApiRoutes(app, {
        sql: database.sql,
        workflows,
        credentials: credentialService,
        publicUrl: http.publicUrl,
        files,
      });
      registerWebhookRoute(app, { sql: database.sql, connectors, publicUrl: http.publicUrl, files });
      registerResumeRoute(app, { sql: database.sql });
      registerFormRoute(app, { sql: database.sql, tokens: createFormTokens(key.key), files });
      registerHookSecretRoute(app, { sql: database.sql });
      registerAuditRoutes(app, { sql: database.sql });
      registerAlertRoutes(app, { sql: database.sql });
      registerInsightsRoutes(app, { sql: database.sql });
      registerConnectRoutes(app, connectLinks(http.publicUrl));
      registerRetentionRoutes(app, { sql: database.sql, globalDays: runRetention });
    },
    connectLinks,
    startWorker(worker = {}) {
      const leaseMs = worker.leaseMs ?? (Number(env.VMESH_WORKER_LEASE_MS) || undefined);
      const concurrency = worker.concurrency ?? (Number(env.VMESH_WORKER_CONCURRENCY) || undefined);
      const runConcurrency = worker.runConcurrency ?? (Number(env.VMESH_RUN_MAX_CONCURRENCY) || undefined);
      return startEngineWorker({
        deps,
        connectionString: database.url,
        concurrency,
        runConcurrency,
        leaseMs,
        tasks: { ...triggerTasks(deps), ...auditTasks, ...worker.tasks },
        crontab: [
          AUDIT_PRUNE_CRONTAB,
          RUN_PRUNE_CRONTAB,
          FILES_SWEEP_CRONTAB,
          triggerCrontab(),
          worker.crontab,
        ]
          .filter((line) => line !== undefined && line !== '')
          .join('\n'),
      });
    },
  };
}
