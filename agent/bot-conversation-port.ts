import { agentTools, type McpToolEntry, toMcpTools } from '../tools/index.ts';
import type { ConversationService } from './conversation-service.ts';
import { type OnConversationEvent, type Reply, toProposalReply } from './reply.ts';

/** Who is talking, on which platform (bots/ name their platforms; agent/ only needs the pair). */
type Actor = { platform: string; id: string; displayName?: string | undefined };

/** `slack` + `T1:U2` → `slack:T1:U2` (already prefixed ids are kept). */
export function actorId(actor: Actor): string {
  return actor.id.startsWith(`${actor.platform}:`) ? actor.id : `${actor.platform}:${actor.id}`;
}

/**
 * The conversation service as bots/ConversationPort: bots stay thin, approval rules stay here. Replies and
 * events pass through unchanged; only the platform actor becomes the service's actor id.
 */
export function toBotConversationPort(service: ConversationService) {
  return {
    handleMessage(
      input: { threadKey: string; actor: Actor; text: string },
      onEvent?: OnConversationEvent,
    ): Promise<Reply[]> {
      return service.handleMessage(
        { threadKey: input.threadKey, actor: actorId(input.actor), text: input.text },
        onEvent,
      );
    },
    /** Proposals still waiting for a person (self-healing fixes included), newest first. */
    async pendingProposals(): Promise<Reply[]> {
      return (await service.listProposals({ status: 'pending' })).map((proposal) =>
        toProposalReply(proposal),
      );
    },
    /** The agent's own tools for an MCP session, bound to its thread and actor. */
    agentTools(session: { threadKey: string; actor: Actor }): McpToolEntry[] {
      return toMcpTools(agentTools, () => service.toolContextFor(session.threadKey, actorId(session.actor)));
    },
    decide(input: { proposalId: string; decision: 'approve' | 'reject'; actor: Actor }): Promise<Reply[]> {
      return service.decide({
        proposalId: input.proposalId,
        decision: input.decision,
        actor: actorId(input.actor),
      });
    },
  };
}
