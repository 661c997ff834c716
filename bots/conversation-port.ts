import type { McpToolEntry, OnConversationEvent, Reply } from '../agent/index.ts';

/** Who is talking, on which platform. `id` is stable per person and platform (e.g. `slack:T1:U2`). */
export type BotActor = {
  platform: 'web' | 'slack' | 'discord' | 'mcp';
  id: string;
  displayName?: string | undefined;
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
  /** Proposals still waiting for a person (self-healing fixes included), newest first. */
  pendingProposals?(): Promise<Reply[]>;
  /** The agent's tools bound to one MCP session's thread and actor (exposed by the MCP server when present). */
  agentTools?(session: { threadKey: string; actor: BotActor }): readonly McpToolEntry[];
};
