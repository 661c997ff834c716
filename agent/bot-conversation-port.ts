import { actorLabel, type Principal } from '../access/index.ts';
import { type McpToolEntry, toMcpTools } from '../tools/index.ts';
import type { HistoryEntry } from './conversation-history.ts';
import type { ConversationService } from './conversation-service.ts';
import type { ProposalDetail, ThreadAccess } from './conversation-views.ts';
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
    /** Whose the thread is (a web chat refuses a thread someone else took part in). */
    async threadAccess(threadKey: string, actor: ChatActor): Promise<ThreadAccess> {
      const principal = await service.identify(actor);
      return principal ? service.threadAccess(threadKey, principal) : 'other';
    },
    /** The thread's history after `afterId`, for its participants (undefined for anyone else). */
    async history(
      threadKey: string,
      actor: ChatActor,
      options: { afterId?: number; settleMs?: number } = {},
    ): Promise<{ entries: HistoryEntry[]; cursor: number } | undefined> {
      const principal = await service.identify(actor);
      return principal ? service.historyFor(threadKey, principal, options) : undefined;
    },
    /** Actor labels as history entries name them (to tell a person's own turns). */
    actorLabelOf: async (actor: ChatActor): Promise<string | undefined> => {
      const principal = await service.identify(actor);
      return principal ? actorLabel(principal) : undefined;
    },
    async proposalDetail(proposalId: string, actor: ChatActor): Promise<ProposalDetail | undefined> {
      const principal = await service.identify(actor);
      return principal ? service.proposalDetailFor(proposalId, principal) : undefined;
    },
    async keepBoth(proposalId: string, actor: ChatActor): Promise<Reply[]> {
      const principal = await service.identify(actor);
      if (!principal) return [strangerReply(actor)];
      return service.keepBoth(proposalId, principal);
    },
    async decide(input: {
      proposalId: string;
      decision: 'approve' | 'reject';
      actor: ChatActor;
      resume?: 'from-failed-step' | 'rerun' | undefined;
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
      return service.decide({
        proposalId: input.proposalId,
        decision: input.decision,
        principal,
        ...(input.resume ? { resume: input.resume } : {}),
      });
    },
  };
}
