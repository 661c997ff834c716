import type { Principal } from '../access/index.ts';
import { type McpToolEntry, toMcpTools } from '../tools/index.ts';
import type { ConversationService } from './conversation-service.ts';
import { type ChatActor, strangerReply } from './identify-actor.ts';
import { type OnConversationEvent, type Reply, toProposalReply } from './reply.ts';

/** `slack` + `T1:U2` → `slack:T1:U2` (already prefixed ids are kept). */
export function actorId(actor: ChatActor): string {
  return actor.id.startsWith(`${actor.platform}:`) ? actor.id : `${actor.platform}:${actor.id}`;
}

export type BotPortOptions = {
  /** Where approval links point (the server's public URL), e.g. `https://vmesh.example.com`. */
  approvalLinkBase?: string | undefined;
};

/** An approval from an MCP client (an assistant) needs a person unless an admin let its token approve. */
const needsHumanApproval = (actor: ChatActor, principal: Principal) =>
  actor.platform === 'mcp' && principal.tokenMayApprove !== true;

/**
 * The conversation service as bots/ConversationPort: bots stay thin, identity and approval rules stay here.
 * Each platform actor becomes a Principal (access/resolveIdentity, or the front-end's request.principal); a
 * stranger gets the how-to-get-access answer and nothing else — no model turn, no chat-triggered run.
 */
export function toBotConversationPort(service: ConversationService, options: BotPortOptions = {}) {
  const base = (options.approvalLinkBase ?? '').replace(/\/+$/, '');
  return {
    async handleMessage(
      input: { threadKey: string; actor: ChatActor; text: string },
      onEvent?: OnConversationEvent,
    ): Promise<Reply[]> {
      const principal = await service.identify(input.actor);
      if (!principal) return [strangerReply(input.actor)];
      return service.handleMessage({ threadKey: input.threadKey, principal, text: input.text }, onEvent);
    },
    /** Proposals waiting for a person that `viewer` may see (self-healing fixes included), newest first. */
    async pendingProposals(viewer: ChatActor): Promise<Reply[]> {
      const principal = await service.identify(viewer);
      if (!principal) return [strangerReply(viewer)];
      return (await service.pendingProposalsFor(principal)).map((proposal) => toProposalReply(proposal));
    },
    /** The agent's tools an MCP session's person may use, bound to its thread and principal. */
    agentTools(session: { threadKey: string; actor: ChatActor }): McpToolEntry[] {
      const principal = session.actor.principal;
      if (!principal) return [];
      return toMcpTools([...service.toolsFor(principal)], () =>
        service.toolContextFor(session.threadKey, principal),
      );
    },
    async decide(input: {
      proposalId: string;
      decision: 'approve' | 'reject';
      actor: ChatActor;
    }): Promise<Reply[]> {
      const principal = await service.identify(input.actor);
      if (!principal) return [strangerReply(input.actor)];
      if (input.decision === 'approve' && needsHumanApproval(input.actor, principal)) {
        const link = await service.requestApprovalLink(input.proposalId, principal);
        if (!link.ok) return [link.reply];
        return [
          {
            type: 'text',
            text:
              `Not approved yet: approving needs the person, not the assistant. Give them this one-time link ` +
              `(valid 15 minutes) to open in a browser and confirm: ${base}/approve/${link.token}\n` +
              `Or they can run \`vmesh proposals approve ${input.proposalId}\`.`,
          },
        ];
      }
      return service.decide({ proposalId: input.proposalId, decision: input.decision, principal });
    },
  };
}
