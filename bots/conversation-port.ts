import type { Principal } from '../access/index.ts';
import type {
  HistoryEntry,
  McpToolEntry,
  OnConversationEvent,
  ProposalDetail,
  Reply,
  ThreadAccess,
} from '../agent/index.ts';

/**
 * Who is talking, on which platform: Slack `TEAM:USER`, Discord `GUILD:USER` (`dm:USER` in a direct message),
 * from the platform's verified payload. Web chat and MCP pass the request's `principal` (app/authenticate.ts).
 * The conversation port resolves it to a workspace user; an unmapped one is a stranger and may do nothing.
 */
export type BotActor = {
  platform: 'web' | 'slack' | 'discord' | 'mcp';
  id: string;
  displayName?: string | undefined;
  principal?: Principal | undefined;
};

export type MessageInput = { threadKey: string; actor: BotActor; text: string };
export type DecisionInput = {
  proposalId: string;
  decision: 'approve' | 'reject';
  actor: BotActor;
  /** For a fix: resume the failed run from its failed step (the default) or re-run it on the new version. */
  resume?: 'from-failed-step' | 'rerun' | undefined;
};

/**
 * The one thing a bot calls: the agent's conversation service (agent/toBotConversationPort), answering in
 * the agent's own Reply and ConversationEvent model. Bots render those and nothing else.
 */
export type ConversationPort = {
  handleMessage(input: MessageInput, onEvent?: OnConversationEvent): Promise<Reply[]>;
  decide(input: DecisionInput): Promise<Reply[]>;
  /** Proposals waiting for a person that `viewer` may see and decide (self-healing fixes included), newest first. */
  pendingProposals?(viewer: BotActor): Promise<Reply[]>;
  /** Whose a thread is: nobody's yet, the actor's, or someone else's. */
  threadAccess?(threadKey: string, actor: BotActor): Promise<ThreadAccess>;
  /** The thread's history after `afterId` (its participants only: undefined for anyone else). */
  history?(
    threadKey: string,
    actor: BotActor,
    options?: { afterId?: number; settleMs?: number },
  ): Promise<{ entries: HistoryEntry[]; cursor: number } | undefined>;
  /** How history entries name the actor (their `actor` field), to tell their own turns from others'. */
  actorLabelOf?(actor: BotActor): Promise<string | undefined>;
  /** A proposal's card details (the version it changes, its dry run) for someone who may see it. */
  proposalDetail?(proposalId: string, actor: BotActor): Promise<ProposalDetail | undefined>;
  /** Keeps the proposals `proposalId` replaced open beside it. */
  keepBoth?(proposalId: string, actor: BotActor): Promise<Reply[]>;
  /** The agent's tools bound to one MCP session's thread and actor (exposed by the MCP server when present). */
  agentTools?(session: { threadKey: string; actor: BotActor }): readonly McpToolEntry[];
};
