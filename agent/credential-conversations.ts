import { allows, findUser, identitiesOf, type Principal, toPrincipal } from '../access/index.ts';
import { type OAuth2Provider, oauth2ProviderForUrl, RECONNECT_CODE } from '../connectors/index.ts';
import type { Sql } from '../db/index.ts';
import { AppError, logger, redactString } from '../lib/index.ts';
import {
  CONNECT_LINK_TTL_MS,
  type ConnectLinks,
  credentialUsers,
  getCredentialEvent,
  recordCredentialWait,
  takeCredentialWaits,
} from '../runtime/index.ts';
import type { RunsPort, RunView, StepView, WorkflowsPort } from '../tools/index.ts';
import {
  type ConversationRow,
  ensureConversation,
  findConversation,
  markCredentialConnected,
  type ProposalRow,
  toProposalView,
} from './conversation-store.ts';
import { type ProposalView, type Reply, toProposalReply } from './reply.ts';

export type ConnectLinksPort = Pick<ConnectLinks, 'create' | 'hasLiveLink'>;

type Conversation = { id: string; threadKey: string };

export type CredentialConversationDeps = {
  sql: Sql;
  links: ConnectLinksPort | undefined;
  workflows: WorkflowsPort;
  runs: RunsPort | undefined;
  /** Built-in OAuth2 providers: a missing http credential for a request to one of their APIs is an oauth2 link. */
  oauth2Providers?: readonly OAuth2Provider[] | undefined;
  /** Appends a note (and the replies shown) to a conversation's history. */
  note(conversationId: string, text: string, replies: Reply[]): Promise<void>;
  notify?:
    | ((target: { conversationId: string; threadKey: string }, replies: Reply[]) => Promise<void>)
    | undefined;
};

export type CredentialEventResult =
  | { status: 'told'; conversations: string[]; resumedRuns: string[] }
  | { status: 'skipped'; reason: string };

const SYSTEM_THREAD = 'system:workflow:';

/** The credential a failed step names when only connecting it again can mend it (E_CREDENTIAL_RECONNECT). */
export function reconnectCredentialOf(step: StepView | undefined): string | undefined {
  const error = step?.error as { code?: unknown; details?: { credential?: unknown } } | null | undefined;
  if (error?.code !== RECONNECT_CODE) return undefined;
  const name = error.details?.credential;
  return typeof name === 'string' && name.length > 0 ? name : undefined;
}

/**
 * Connect links in conversations: the person who proposed a workflow gets one for each credential it still needs,
 * a credential the provider refused gets a reconnect link in the conversation of each workflow that uses it, and
 * connecting it tells those conversations, shows their pending proposals satisfied and resumes the runs that
 * failed only for it.
 */
export function createCredentialConversations(deps: CredentialConversationDeps) {
  const { sql } = deps;

  const linkText = (name: string, type: string, reconnect: boolean, recipient: string) =>
    `${reconnect ? 'Reconnect' : 'Connect'} the credential "${name}" (${type}): ${recipient}, a private link ` +
    `(single use, ${Math.round(CONNECT_LINK_TTL_MS / 60_000)} minutes) was sent to you only. ` +
    'The key or the sign-in goes into the page it opens, never into this chat.';

  /** A link for `recipient`, or undefined when none can be made for this type (the command is shown instead). */
  async function linkReply(
    input: { name: string; type: string; reconnect: boolean; requestUrl?: string | undefined },
    recipient: Principal,
    context: { conversationId: string; proposalId?: string },
  ): Promise<Reply | undefined> {
    if (!deps.links || !allows(recipient, 'credential.manage')) return undefined;
    // `http` (http.request, OpenAPI connectors) takes every auth style. A request to a built-in OAuth2
    // provider's API is connected through its consent page (when this installation has its app); anything else
    // gets a link that asks for a bearer token, the most common style.
    if (input.type === 'http' && input.requestUrl) {
      const provider = oauth2ProviderForUrl(deps.oauth2Providers ?? [], input.requestUrl);
      if (provider) {
        const link = await makeLink({ ...input, type: 'oauth2', provider: provider.id }, recipient, context);
        if (link) return link;
      }
    }
    return makeLink({ ...input, type: input.type === 'http' ? 'bearer' : input.type }, recipient, context);
  }

  async function makeLink(
    input: { name: string; type: string; reconnect: boolean; provider?: string },
    recipient: Principal,
    context: { conversationId: string; proposalId?: string },
  ): Promise<Reply | undefined> {
    if (!deps.links) return undefined;
    const { type } = input;
    try {
      const target = { name: input.name, type, ...(input.provider ? { provider: input.provider } : {}) };
      const url = await deps.links.create(target, recipient, {
        conversationId: context.conversationId,
        proposalId: context.proposalId ?? null,
        deliveredPrivately: true,
      });
      return {
        type: 'connect_link',
        credential: input.name,
        credentialType: input.provider ? `${type} (${input.provider})` : type,
        reconnect: input.reconnect,
        url,
        expiresAt: new Date(Date.now() + CONNECT_LINK_TTL_MS).toISOString(),
        recipient: { userId: recipient.userId, name: recipient.name, identity: recipient.identity },
        text: linkText(
          input.name,
          input.provider ? `${input.provider} account` : type,
          input.reconnect,
          recipient.name,
        ),
      };
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      logger.info({ credential: input.name, code: error.code }, 'no connect link for this credential');
      return undefined;
    }
  }

  /**
   * Who can receive a link privately in this conversation: the user's identity on its chat platform (Slack in
   * the same team, Discord). Web, MCP and system conversations get no notifications, so no link either.
   */
  async function recipientIn(conversation: Conversation, userId: string): Promise<Principal | undefined> {
    const [platform, place] = conversation.threadKey.split(':');
    if (platform !== 'slack' && platform !== 'discord') return undefined;
    const user = await findUser(sql, userId);
    if (!user || user.disabledAt) return undefined;
    const identity = (await identitiesOf(sql, user.id)).find(
      (candidate) =>
        candidate.provider === platform &&
        (platform === 'discord' || candidate.subject.startsWith(`${place}:`)),
    );
    return identity ? toPrincipal(user, platform, `${identity.provider}:${identity.subject}`) : undefined;
  }

  async function conversationOf(workflowId: string): Promise<ConversationRow | undefined> {
    const workflow = await deps.workflows.get(workflowId);
    if (!workflow) return undefined;
    const found = workflow.conversationRef
      ? await findConversation(sql, workflow.conversationRef)
      : undefined;
    return found ?? ensureConversation(sql, `${SYSTEM_THREAD}${workflow.id}`, 'system:self-healing');
  }

  async function credentialOwner(name: string): Promise<string | null> {
    const [row] = await sql`select owner_id, type from credentials where name = ${name}`;
    return row?.ownerId ? String(row.ownerId) : null;
  }

  async function credentialType(name: string): Promise<string | undefined> {
    const [row] = await sql`select type from credentials where name = ${name}`;
    return row ? String(row.type) : undefined;
  }

  async function tell(conversation: Conversation, text: string, replies: Reply[]): Promise<void> {
    // The model reads the note; the link itself goes only to the person (stored replies drop its URL).
    await deps.note(conversation.id, text, replies);
    try {
      await deps.notify?.({ conversationId: conversation.id, threadKey: conversation.threadKey }, replies);
    } catch (error) {
      logger.warn({ err: error, conversationId: conversation.id }, 'could not deliver to the conversation');
    }
  }

  /** The reconnect link for NAME in one conversation, unless one is still open there; else how to reconnect. */
  async function reconnectReplies(name: string, conversation: Conversation): Promise<Reply[]> {
    const type = (await credentialType(name)) ?? 'oauth2';
    if (deps.links && (await deps.links.hasLiveLink(name, conversation.id))) return [];
    const owner = await credentialOwner(name);
    const recipient = owner ? await recipientIn(conversation, owner) : undefined;
    const link = recipient
      ? await linkReply({ name, type, reconnect: true }, recipient, { conversationId: conversation.id })
      : undefined;
    if (link) return [link];
    return [
      {
        type: 'text',
        text: `Reconnect it on the web page (Credentials → ${name} → Reconnect) or with \`vmesh credentials connect ${name} --type ${type}\`.`,
      },
    ];
  }

  return {
    /** Links for the credentials the proposals shown in this turn still need, for the person whose turn it is. */
    async linksForProposals(
      principal: Principal,
      conversation: Conversation,
      proposals: readonly ProposalView[],
    ): Promise<Reply[]> {
      const replies: Reply[] = [];
      const done = new Set<string>();
      for (const proposal of proposals) {
        for (const missing of proposal.missingCredentials) {
          if (done.has(missing.name)) continue;
          done.add(missing.name);
          const requestUrl = requestUrlOf(proposal, missing.nodes);
          const link = await linkReply(
            { name: missing.name, type: missing.type, reconnect: false, requestUrl },
            principal,
            {
              conversationId: conversation.id,
              proposalId: proposal.id,
            },
          );
          if (link) replies.push(link);
        }
      }
      return replies;
    },

    /**
     * A run that failed because its credential must be connected again: no fix proposal (nothing in the workflow
     * is wrong). It waits for the reconnect, and the conversation gets the link unless it has one open already.
     */
    async runNeedsReconnect(
      run: RunView,
      workflow: { id: string; name: string },
      conversation: Conversation,
      credential: string,
    ): Promise<Reply[]> {
      await recordCredentialWait(sql, {
        runId: run.id,
        credentialName: credential,
        conversationId: conversation.id,
      });
      const step = run.steps.find((candidate) => candidate.status === 'failed');
      const replies: Reply[] = [
        {
          type: 'run_update',
          runId: run.id,
          workflowId: workflow.id,
          status: 'failed',
          message:
            `Run ${run.id} of "${workflow.name}" stopped${step ? ` at step "${step.nodeId}"` : ''}: the credential ` +
            `"${credential}" must be connected again (${RECONNECT_CODE}). It resumes from that step once it is reconnected.`,
        },
        ...(await reconnectReplies(credential, conversation)),
      ];
      await tell(
        conversation,
        `Run ${run.id} of workflow "${workflow.name}" (${workflow.id}) failed with ${RECONNECT_CODE}: credential "${credential}" must be reconnected by a person; it resumes by itself once it is. Do not propose a fix for it.`,
        replies,
      );
      return replies;
    },

    async handleEvent(eventId: string): Promise<CredentialEventResult> {
      const event = await getCredentialEvent(sql, eventId);
      if (!event) return { status: 'skipped', reason: `no credential event ${eventId}` };
      const name = event.credentialName;
      if (event.type === 'credential.needs_reconnect') {
        const affected = (await credentialUsers(sql)).get(name)?.filter((workflow) => workflow.active) ?? [];
        const told = new Map<string, { conversation: ConversationRow; workflows: string[] }>();
        for (const workflow of affected) {
          const conversation = await conversationOf(workflow.id);
          if (!conversation) continue;
          const entry = told.get(conversation.id) ?? { conversation, workflows: [] };
          entry.workflows.push(`"${workflow.name}" (${workflow.id})`);
          told.set(conversation.id, entry);
        }
        for (const { conversation, workflows } of told.values()) {
          const reason = event.details.reason ? `: ${redactString(event.details.reason).slice(0, 300)}` : '.';
          const replies: Reply[] = [
            {
              type: 'error',
              code: 'E_CREDENTIAL_RECONNECT',
              message: `credential.needs_reconnect: the credential "${name}" must be connected again${reason}`,
              hint: `Workflows that use it: ${workflows.join(', ')}. Their steps that need it fail until it is reconnected; runs that failed on it resume then.`,
            },
            ...(await reconnectReplies(name, conversation)),
          ];
          await tell(
            conversation,
            `credential.needs_reconnect: credential "${name}" must be reconnected by a person (workflows ${workflows.join(', ')}). A reconnect link was offered; do not propose a fix.`,
            replies,
          );
        }
        return { status: 'told', conversations: [...told.keys()], resumedRuns: [] };
      }

      // credential.connected: resume what waited for it, show the proposals that needed it satisfied.
      const byConversation = new Map<string, Reply[]>();
      const add = (conversationId: string | null | undefined, reply: Reply) => {
        if (!conversationId) return;
        byConversation.set(conversationId, [...(byConversation.get(conversationId) ?? []), reply]);
      };
      if (event.details.conversationId) add(event.details.conversationId, connectedText(name));
      const resumed: string[] = [];
      for (const wait of await takeCredentialWaits(sql, name)) {
        if (!deps.runs) break;
        const run = await deps.runs.get(wait.runId);
        if (run?.status !== 'failed') continue;
        try {
          const next = await deps.runs.resume(wait.runId, 'from-failed-step');
          resumed.push(wait.runId);
          if (!byConversation.has(wait.conversationId ?? '')) add(wait.conversationId, connectedText(name));
          add(wait.conversationId, {
            type: 'run_update',
            runId: next.runId,
            workflowId: run.workflowId,
            status: next.status,
            message: `Credential "${name}" is connected again: resuming run ${wait.runId} from its failed step.`,
          });
        } catch (error) {
          logger.warn({ err: error, runId: wait.runId }, 'could not resume a run after its reconnect');
        }
      }
      const satisfied: ProposalRow[] = await markCredentialConnected(sql, name);
      for (const row of satisfied) {
        if (!byConversation.has(row.conversationId ?? '')) add(row.conversationId, connectedText(name));
        add(row.conversationId, toProposalReply(toProposalView(row)));
      }
      for (const [conversationId, replies] of byConversation) {
        const conversation = await findConversation(sql, conversationId);
        if (!conversation) continue;
        await tell(
          conversation,
          `Credential "${name}" was connected${resumed.length ? `; resumed runs ${resumed.join(', ')}` : ''}.`,
          replies,
        );
      }
      return { status: 'told', conversations: [...byConversation.keys()], resumedRuns: resumed };
    },
  };
}

/** The literal `with.url` of the first of `nodes` (ids) in the proposal's document that has one. */
function requestUrlOf(proposal: ProposalView, nodes: readonly string[]): string | undefined {
  type Node = { id: string; with?: unknown; do?: { nodes: Node[] } };
  const wanted = new Set(nodes);
  const visit = (list: readonly Node[]): string | undefined => {
    for (const node of list) {
      const url = (node.with as { url?: unknown } | undefined)?.url;
      if (wanted.has(node.id) && typeof url === 'string' && !url.includes('{{')) return url;
      const inner = node.do ? visit(node.do.nodes) : undefined;
      if (inner) return inner;
    }
    return undefined;
  };
  return visit((proposal.document?.nodes ?? []) as readonly Node[]);
}

const connectedText = (name: string): Reply => ({
  type: 'text',
  text: `✓ The credential "${name}" is connected.`,
});

export type CredentialConversations = ReturnType<typeof createCredentialConversations>;
