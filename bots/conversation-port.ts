import type { Principal } from '../access/index.ts';
import type { McpToolEntry, OnConversationEvent, Reply } from '../agent/index.ts';

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
export type DecisionInput = { proposalId: string; decision: 'approve' | 'reject'; actor: BotActor };

/**
 * The one thing a bot calls: the agent's conversation service (agent/toBotConversationPort), answering in
 * the agent's own Reply and ConversationEvent model. Bots render those and nothing else.
 */
export type ConversationPort = {
  handleMessage(input: MessageInput, onEvent?: OnConversationEvent): Promise<Reply[]>;
  decide(input: DecisionInput): Promise<Reply[]>;
  /** Proposals waiting for a person that `viewer` may see and decide (self-healing fixes included), newest first. */
  pendingProposals?(viewer: BotActor): Promise<Reply[]>;
  /** The agent's tools bound to one MCP session's thread and actor (exposed by the MCP server when present). */
  agentTools?(session: { threadKey: string; actor: BotActor }): readonly McpToolEntry[];
};
