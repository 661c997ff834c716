import { parseApprovalPolicy } from '../access/index.ts';
import type { ConnectorDefinition } from '../connectors/index.ts';
import { builtinConnectors, oauth2ProvidersOf } from '../connectors/index.ts';
import type { Sql } from '../db/index.ts';
import { loadSystemPrompt } from '../prompts/index.ts';
import { type DocSyncLog, docsReady, searchDocs } from '../retrieval/index.ts';
import type { CredentialsPort, DocsPort } from '../tools/index.ts';
import {
  type ConversationService,
  type ConversationServiceDeps,
  createConversationService,
} from './conversation-service.ts';
import { autoMembersFromEnv } from './identify-actor.ts';
import { createModelProvider } from './providers/create-model-provider.ts';
import type { ModelProvider } from './providers/model-provider.ts';
import { createRuntimePorts } from './runtime-ports.ts';

/**
 * Documentation search over the retrieval index (hybrid vector + full text). With `ready`, a search first waits
 * for the index to be in line with these connectors (see docsReady).
 */
export function createDocsPort(sql: Sql, ready?: () => Promise<unknown>): DocsPort {
  return {
    async search(query, options) {
      await ready?.();
      const hits = await searchDocs(sql, query, { k: options.k });
      return hits.map((hit) => ({
        id: hit.id,
        kind: hit.kind,
        score: hit.score,
        snippet: hit.snippet,
        thirdParty: hit.thirdParty,
      }));
    },
  };
}

export type CreateAgentOptions = {
  sql: Sql;
  env?: NodeJS.ProcessEnv;
  connectors?: ConnectorDefinition[];
  /** Defaults to reading names and types from the credentials table. */
  credentials?: CredentialsPort;
  /** Defaults to VMESH_MODEL (anthropic:<model> | openai:<model>). */
  provider?: ModelProvider;
  docs?: DocsPort | null;
  notify?: ConversationServiceDeps['notify'];
  /** Connect links the agent hands to people whose proposals need a credential (engine.connectLinks). */
  connectLinks?: ConversationServiceDeps['connectLinks'];
  /** Default: VMESH_APPROVAL_POLICY (JSON; see access/approval-policy.ts). */
  approvalPolicy?: ConversationServiceDeps['approvalPolicy'];
  /** Where the doc index sync (run before the first search) logs. */
  docsLog?: DocSyncLog;
  /** The server's log, for a line per decision on a proposal (the CLI prints its own). */
  decisionLog?: ConversationServiceDeps['decisionLog'];
  /** The server's public URL (config.publicUrl); default VMESH_PUBLIC_URL. Proposals name hook URLs with it. */
  publicUrl?: string | undefined;
};

const quietDocsLog: DocSyncLog = { info: () => {}, warn: () => {} };

/** The conversation service wired to the real runtime, engine, credentials, retrieval and the configured model. */
export function createAgent(options: CreateAgentOptions): ConversationService {
  const env = options.env ?? process.env;
  const provider =
    options.provider ??
    (() => {
      const result = createModelProvider(env.VMESH_MODEL, { env });
      return result.ok ? result.value : result.error;
    })();
  const connectors = options.connectors ?? builtinConnectors;
  const ports = createRuntimePorts({
    sql: options.sql,
    connectors,
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
  return createConversationService({
    sql: options.sql,
    provider,
    system: loadSystemPrompt(),
    ...ports,
    docs:
      options.docs === null
        ? undefined
        : (options.docs ??
          createDocsPort(options.sql, () =>
            docsReady(options.sql, connectors, options.docsLog ?? quietDocsLog),
          )),
    notify: options.notify,
    connectLinks: options.connectLinks,
    oauth2Providers: oauth2ProvidersOf(connectors),
    approvalPolicy: options.approvalPolicy ?? parseApprovalPolicy(env.VMESH_APPROVAL_POLICY),
    autoMembers: autoMembersFromEnv(env),
    publicUrl: options.publicUrl ?? env.VMESH_PUBLIC_URL,
    decisionLog: options.decisionLog,
  });
}
