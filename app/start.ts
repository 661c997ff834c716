import type { FastifyInstance } from 'fastify';
import {
  type ConversationService,
  CREDENTIAL_EVENT_TASK,
  createAgent,
  createCredentialEventTask,
  createRunFailedTask,
  createTriggerEventTask,
  type Reply,
  RUN_FAILED_TASK,
  TRIGGER_EVENT_TASK,
  toBotConversationPort,
} from '../agent/index.ts';
import {
  createDeliveryLedger,
  createRuntimeTriggerPort,
  createRuntimeWorkflowPort,
  registerBots,
  registerConsoleRoutes,
} from '../bots/index.ts';
import { loadAllConnectors } from '../connectors/index.ts';
import { type Database, openDatabase, parseDatabaseConfig } from '../db/index.ts';
import { llmPrices, logger, startTracing, VERSION } from '../lib/index.ts';
import { createKnowledgeBase, docsReady } from '../retrieval/index.ts';
import {
  ALERTS_CRONTAB,
  computeInsights,
  createAlertsTask,
  createEngineServices,
  installWorkerSchema,
} from '../runtime/index.ts';
import { parseServerConfig, type ServerConfig } from './config.ts';
import { type Announce, announceOwnerSignIn, writeToStdout } from './owner-sign-in.ts';
import { startRunLog } from './run-log.ts';
import { createHttpServer } from './server.ts';
import { apiTokenResolver } from './token-resolver.ts';
import { createWebAuth, parseWebAuthConfig } from './web-auth/index.ts';

export type RunningApp = {
  database: Database;
  server: FastifyInstance;
  config: ServerConfig;
  url: string;
  /** The conversation service every front-end calls (bots: toBotConversationPort(app.agent)). */
  agent: ConversationService;
  stop(): Promise<void>;
};

export type StartOptions = {
  /** Where a server without VMESH_API_TOKEN prints the local owner's one-time sign-in link (stdout). */
  announce?: Announce;
};

/** The composition root: database, HTTP server, and (as later parts land) worker and bots. */
export async function startApp(
  env: NodeJS.ProcessEnv = process.env,
  options: StartOptions = {},
): Promise<RunningApp> {
  const startedAt = Date.now();
  const config = parseServerConfig(env);
  // OpenTelemetry spans only when OTEL_EXPORTER_OTLP_ENDPOINT is set; the trace context (run correlation ids) always.
  const tracing = await startTracing(env);
  const webAuthConfig = parseWebAuthConfig(env, config.publicUrl);
  llmPrices(env); // VMESH_LLM_PRICES, read once: a malformed value stops the start-up
  // The embedded Postgres is left (and stopped, when no other process uses it) only in stop(), after the pools.
  const database = await openDatabase(parseDatabaseConfig(env), { log: (message) => logger.debug(message) });
  try {
    await installWorkerSchema(database.url);
    const webAuth = createWebAuth({ sql: database.sql, config: webAuthConfig });
    const server = createHttpServer({
      database,
      startedAt,
      version: VERSION,
      env,
      config,
      principalResolvers: [apiTokenResolver(database.sql), webAuth.resolvePrincipal],
    });
    webAuth.register(server);
    const connectors = await loadAllConnectors(database.sql, logger);
    const engine = await createEngineServices(database, {
      env,
      dataDir: parseDatabaseConfig(env).dataDir,
      connectors,
      oauth2Apps: config.oauthApps,
      knowledgeBase: createKnowledgeBase(database.sql, { log: (message) => logger.info(message) }),
    });
    engine.registerHttp(server, { publicUrl: config.publicUrl });
    // Self-healing posts fix proposals into the chat the workflow came from; the bots exist after the agent.
    let notifyChat: ((threadKey: string, replies: Reply[]) => Promise<void>) | undefined;
    const agent = createAgent({
      sql: database.sql,
      env,
      connectors,
      docsLog: logger,
      publicUrl: config.publicUrl,
      notify: async (target, replies) => notifyChat?.(target.threadKey, replies),
      connectLinks: engine.connectLinks(config.publicUrl),
      decisionLog: logger,
    });
    const bots = await registerBots(server, {
      conversation: toBotConversationPort(agent, { approvalLinkBase: config.publicUrl }),
      approvals: agent,
      workflows: createRuntimeWorkflowPort(database.sql),
      insights: (principal, query) => computeInsights(database.sql, principal, query),
      triggers: createRuntimeTriggerPort(database.sql, connectors),
      deliveries: createDeliveryLedger(database.sql),
      config,
      env,
    });
    // The web page's console (workflow and run pages) on the same engine service as /api and the CLI.
    registerConsoleRoutes(server, {
      sql: database.sql,
      workflows: engine.workflows,
      connectors,
      publicUrl: config.publicUrl,
    });
    notifyChat = async (threadKey, replies) => {
      await bots.notify(threadKey, replies).catch((error: unknown) => {
        logger.warn(
          { err: error, threadKey },
          'could not post to the chat; the replies stay in the conversation',
        );
      });
    };
    const url = await server.listen({ host: config.host, port: config.port }).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      throw new Error(
        `Port ${config.port} on ${config.host} is already in use (another VelocityMesh server, or another program). ` +
          "Stop it, or start this one on another port: PORT=3001 npm start. CLI commands and `vmesh worker` need no port: they share the running server's database.",
      );
    });
    // The docs index (what the agent's search_docs reads) re-embeds only what changed. It starts after listen, so it
    // never delays start; a search that comes first waits for it (docsReady).
    void docsReady(database.sql, connectors, logger);
    // Self-healing: a run that fails for good queues RUN_FAILED_TASK in its failing transaction; this worker
    // turns it into a fix proposal in the conversation the workflow came from (`vmesh worker` processes leave
    // those jobs to the app). A poll trigger's trigger.stalled/recovered reach that conversation the same way.
    const worker =
      env.VMESH_NO_WORKER === '1'
        ? undefined
        : await engine.startWorker({
            tasks: {
              [RUN_FAILED_TASK]: createRunFailedTask(agent),
              [TRIGGER_EVENT_TASK]: createTriggerEventTask(agent),
              [CREDENTIAL_EVENT_TASK]: createCredentialEventTask(agent),
              // Alerts go to the workflow's conversation or a chosen channel: the app's worker has both.
              ...createAlertsTask(engine.deps, {
                publicUrl: config.publicUrl,
                logger,
                chat: {
                  tellWorkflowConversations: (ids, text) => agent.tellWorkflowConversations(ids, text),
                  tellConversation: (id, text) => agent.tellConversation(id, text),
                  postToChat: (threadKey, text) => bots.notify(threadKey, [{ type: 'text', text }]),
                },
              }),
            },
            crontab: ALERTS_CRONTAB,
          });
    const runLog = startRunLog({ sql: database.sql, logger });
    logger.info({ url, database: database.kind }, 'VelocityMesh is listening');
    // Nothing answers without a credential: without a shared token, the owner gets a link to sign in with.
    if (config.apiToken === undefined) {
      const baseUrl = env.VMESH_PUBLIC_URL ? config.publicUrl : url;
      await announceOwnerSignIn(database.sql, baseUrl, options.announce ?? writeToStdout).catch(
        (error: unknown) =>
          logger.warn({ err: error }, 'no sign-in link for the owner; make one with: vmesh login-link owner'),
      );
    }
    return {
      database,
      server,
      config,
      url,
      agent,
      // Order matters: stop taking requests, let running steps finish (graphile-worker's graceful shutdown
      // aborts them after 5 s so they re-run elsewhere), close the pools, and only then stop the database.
      async stop() {
        const lingering = setTimeout(() => server.server.closeAllConnections(), 500);
        await server.close();
        clearTimeout(lingering);
        await worker?.stop();
        await runLog.stop();
        await tracing.stop();
        // A doc sync still running is cut off with the pool (its transaction rolls back); the next start redoes it.
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    await tracing.stop();
    throw error;
  }
}
