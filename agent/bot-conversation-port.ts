import type { WorkflowDocument } from '../runtime/workflow/document.ts';
import { agentTools, type McpToolEntry, toMcpTools } from '../tools/index.ts';
import type { ConversationService } from './conversation-service.ts';
import type { ConversationEvent, ProposalView, Reply } from './reply.ts';

/**
 * The shapes bots/ render (declared structurally here: agent/ does not import bots/). The adapter maps the
 * service's Reply union onto them; what a person must see before approving (missing credentials, new write
 * destinations, new credential uses) is folded into the proposal summary so no bot can leave it out.
 */
type Actor = { platform: string; id: string; displayName?: string | undefined };

export type BotFacingReply =
  | { type: 'text'; text: string }
  | {
      type: 'proposal';
      proposalId: string;
      kind: 'workflow' | 'fix';
      title: string;
      summary: string;
      document: WorkflowDocument;
      workflowId?: string | undefined;
    }
  | {
      type: 'run_update';
      runId: string;
      workflowId?: string | undefined;
      status: string;
      text?: string | undefined;
    }
  | { type: 'error'; message: string; hint?: string | undefined };

export type BotFacingEvent =
  | { type: 'text_delta'; text: string }
  | { type: 'tool'; name: string; status: 'started' | 'finished' | 'failed' }
  | { type: 'reply'; reply: BotFacingReply };

/** `slack` + `T1:U2` → `slack:T1:U2` (already prefixed ids are kept). */
export function actorId(actor: Actor): string {
  return actor.id.startsWith(`${actor.platform}:`) ? actor.id : `${actor.platform}:${actor.id}`;
}

/** The summary a person reads before approving: what it does, then what needs their attention. */
export function approvalSummary(proposal: ProposalView): string {
  const lines = [proposal.summary];
  for (const step of proposal.effects?.newWriteSteps ?? []) {
    lines.push(
      `⚠ New step that writes outside: ${step.id} (${step.uses})${step.target ? ` → ${step.target}` : ''}${step.credential ? `, using credential "${step.credential}"` : ''}`,
    );
  }
  for (const name of proposal.effects?.newCredentials ?? []) lines.push(`⚠ Uses credential "${name}"`);
  for (const credential of proposal.missingCredentials) {
    lines.push(`Needs credential "${credential.name}" (${credential.type}): \`${credential.command}\``);
  }
  if (proposal.dryRunOk === false) lines.push('The dry run reported a failing step.');
  return lines.join('\n');
}

function proposalReply(proposal: ProposalView, kind: 'workflow' | 'fix'): BotFacingReply | undefined {
  if (!proposal.document) {
    return {
      type: 'text',
      text: `Proposal ${proposal.id}: ${approvalSummary(proposal)} (approve to retry the run as it is)`,
    };
  }
  const document = proposal.document as WorkflowDocument;
  return {
    type: 'proposal',
    proposalId: proposal.id,
    kind,
    title: document.name,
    summary: approvalSummary(proposal),
    document,
    ...(proposal.workflowId ? { workflowId: proposal.workflowId } : {}),
  };
}

export function toBotReply(reply: Reply): BotFacingReply | undefined {
  switch (reply.type) {
    case 'text':
      return { type: 'text', text: reply.text };
    case 'proposal':
      return proposalReply(reply.proposal, 'workflow');
    case 'fix-proposal':
      return proposalReply(reply.proposal, 'fix');
    case 'run-update':
      return {
        type: 'run_update',
        runId: reply.runId,
        workflowId: reply.workflowId,
        status: reply.status,
        text: reply.message,
      };
    case 'error':
      return { type: 'error', message: reply.message, ...(reply.hint ? { hint: reply.hint } : {}) };
  }
}

function toBotEvent(event: ConversationEvent): BotFacingEvent | undefined {
  switch (event.type) {
    case 'text-delta':
      return { type: 'text_delta', text: event.text };
    case 'tool-start':
      return { type: 'tool', name: event.name, status: 'started' };
    case 'tool-end':
      return { type: 'tool', name: event.name, status: event.isError ? 'failed' : 'finished' };
    case 'proposal': {
      const reply = proposalReply(event.proposal, event.proposal.kind === 'fix' ? 'fix' : 'workflow');
      return reply ? { type: 'reply', reply } : undefined;
    }
  }
}

const toBotReplies = (replies: Reply[]) => replies.flatMap((reply) => toBotReply(reply) ?? []);

/** The conversation service as bots/ConversationPort: bots stay thin, approval rules stay here. */
export function toBotConversationPort(service: ConversationService) {
  return {
    async handleMessage(
      input: { threadKey: string; actor: Actor; text: string },
      onEvent?: (event: BotFacingEvent) => void,
    ): Promise<BotFacingReply[]> {
      const replies = await service.handleMessage(
        { threadKey: input.threadKey, actor: actorId(input.actor), text: input.text },
        (event) => {
          const mapped = toBotEvent(event);
          if (mapped) onEvent?.(mapped);
        },
      );
      return toBotReplies(replies);
    },
    async pendingProposals(): Promise<BotFacingReply[]> {
      const pending = await service.listProposals({ status: 'pending' });
      return pending
        .map((proposal) => proposalReply(proposal, proposal.kind === 'fix' ? 'fix' : 'workflow'))
        .filter((reply) => reply !== undefined);
    },
    /** The agent's own tools for an MCP session, bound to its thread and actor. */
    agentTools(session: { threadKey: string; actor: Actor }): McpToolEntry[] {
      return toMcpTools(agentTools, () => service.toolContextFor(session.threadKey, actorId(session.actor)));
    },
    async decide(input: {
      proposalId: string;
      decision: 'approve' | 'reject';
      actor: Actor;
    }): Promise<BotFacingReply[]> {
      return toBotReplies(
        await service.decide({
          proposalId: input.proposalId,
          decision: input.decision,
          actor: actorId(input.actor),
        }),
      );
    },
  };
}
