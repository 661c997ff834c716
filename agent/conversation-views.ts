import { z } from 'zod';
import {
  actorLabel,
  allows,
  audit,
  mayApprove,
  mayReadWorkflow,
  type Principal,
  workflowOwnership,
} from '../access/index.ts';
import type { Sql } from '../db/index.ts';
import type { WorkflowDocument } from '../runtime/index.ts';
import type { WorkflowsPort } from '../tools/index.ts';
import { type HistoryEntry, loadHistoryEntries } from './conversation-history.ts';
import {
  appendMessages,
  type ConversationRow,
  findProposal,
  frontEndOf,
  type ProposalRow,
  reopenReplacedProposals,
  toProposalView,
} from './conversation-store.ts';
import { type ProposalReply, type ProposalView, type Reply, toProposalReply } from './reply.ts';

/** Whose a thread is: nobody's yet, the viewer's (they took part in it), or someone else's. */
export type ThreadAccess = 'new' | 'mine' | 'other';

/** A step of the dry run a proposal was checked with (tools/dry-run.ts), as the card shows it. */
export const DryRunView = z.object({
  ok: z.boolean(),
  steps: z.array(z.object({ id: z.string(), status: z.string(), error: z.unknown().optional() })),
});
export type DryRunView = z.infer<typeof DryRunView>;

/** What a proposal card shows besides the reply: the document it changes (for the diff) and its dry run. */
export type ProposalDetail = {
  reply: ProposalReply;
  /** The version the proposal was made against (null for a new workflow, or hidden from the viewer). */
  baseDocument: WorkflowDocument | null;
  dryRun: DryRunView | null;
};

export type ConversationViews = {
  threadAccess(threadKey: string, viewer: Principal): Promise<ThreadAccess>;
  /**
   * The thread's history after `afterId`, for its participants only (undefined for anyone else); proposal cards
   * carry the proposal's current state, not the one stored when it was shown.
   */
  historyFor(
    threadKey: string,
    viewer: Principal,
    options?: { afterId?: number; settleMs?: number },
  ): Promise<{ entries: HistoryEntry[]; cursor: number } | undefined>;
  proposalDetailFor(proposalId: string, viewer: Principal): Promise<ProposalDetail | undefined>;
  /** "Keep both": reopens the proposals `proposalId` replaced; for its proposer and those who may decide it. */
  keepBoth(proposalId: string, principal: Principal): Promise<Reply[]>;
};

const Participants = z.array(z.string()).catch([]);

/** Conversation reads and the "keep both" decision for the front-ends (the web chat's history and cards). */
export function createConversationViews(deps: { sql: Sql; workflows: WorkflowsPort }): ConversationViews {
  const { sql } = deps;

  async function findThread(threadKey: string) {
    const [row] = await sql`
      select id, participants from conversations
      where front_end = ${frontEndOf(threadKey)} and thread_key = ${threadKey}`;
    return row ? { id: String(row.id), participants: Participants.parse(row.participants) } : undefined;
  }

  async function mayRead(viewer: Principal, row: ProposalRow): Promise<boolean> {
    const ownership = row.workflowId ? await workflowOwnership(sql, row.workflowId) : undefined;
    return ownership ? mayReadWorkflow(viewer, ownership) : allows(viewer, 'workflow.read');
  }

  async function viewFor(viewer: Principal, row: ProposalRow): Promise<ProposalView> {
    const view = toProposalView(row);
    if (await mayRead(viewer, row)) return view;
    return {
      ...view,
      document: null,
      diff: [],
      setup: [],
      summary: '(hidden: you may not read this workflow)',
    };
  }

  /** A stored proposal reply as it stands now (approved, superseded, kept open…), the failure it fixes kept. */
  async function current(viewer: Principal, reply: ProposalReply): Promise<Reply> {
    const row = await findProposal(sql, reply.proposal.id);
    if (!row) return reply;
    const failure = reply.type === 'fix_proposal' ? reply.failure : undefined;
    return toProposalReply(await viewFor(viewer, row), failure);
  }

  const mayDecide = (row: ProposalRow, principal: Principal) =>
    mayApprove(
      {
        approvers: row.approvers,
        proposerId: row.proposerId,
        proposerMayApprove: row.proposerMayApprove,
        secondPersonReasons: row.secondPersonReasons,
      },
      principal,
    );

  const views: ConversationViews = {
    async threadAccess(threadKey, viewer) {
      const thread = await findThread(threadKey);
      if (!thread) return 'new';
      return thread.participants.includes(viewer.userId) ? 'mine' : 'other';
    },

    async historyFor(threadKey, viewer, options = {}) {
      const thread = await findThread(threadKey);
      if (!thread) return { entries: [], cursor: options.afterId ?? 0 };
      if (!thread.participants.includes(viewer.userId)) return undefined;
      const { entries, cursor } = await loadHistoryEntries(sql, thread.id, options);
      for (const entry of entries) {
        entry.replies = await Promise.all(
          entry.replies.map((reply) =>
            reply.type === 'proposal' || reply.type === 'fix_proposal' ? current(viewer, reply) : reply,
          ),
        );
      }
      return { entries, cursor };
    },

    async proposalDetailFor(proposalId, viewer) {
      const row = await findProposal(sql, proposalId);
      if (!row) return undefined;
      const visible = await mayRead(viewer, row);
      const participant =
        row.conversationId !== null &&
        (
          await sql`select 1 from conversations where id = ${row.conversationId} and participants ? ${viewer.userId}`
        ).length > 0;
      if (!participant && !mayDecide(row, viewer).ok) return undefined;
      const view = await viewFor(viewer, row);
      const base =
        visible && row.workflowId && row.baseVersion !== null
          ? await deps.workflows.version(row.workflowId, row.baseVersion)
          : undefined;
      const dryRun = DryRunView.safeParse(row.details.dryRun);
      return {
        reply: toProposalReply(view),
        baseDocument: base ?? null,
        dryRun: visible && dryRun.success ? dryRun.data : null,
      };
    },

    async keepBoth(proposalId, principal) {
      const row = await findProposal(sql, proposalId);
      if (!row) {
        return [{ type: 'error', code: 'E_NOT_FOUND', message: `No proposal with id "${proposalId}".` }];
      }
      const proposer = row.proposerId !== null && row.proposerId === principal.userId;
      if (!proposer && !mayDecide(row, principal).ok) {
        return [
          {
            type: 'error',
            code: 'E_FORBIDDEN',
            message: `${principal.name} may not reopen the proposals ${row.id} replaced.`,
            hint: 'Its proposer or someone who may approve it can keep both.',
          },
        ];
      }
      const reopened = await reopenReplacedProposals(sql, row.id);
      if (reopened.length === 0) {
        return [
          {
            type: 'error',
            code: 'E_NOTHING_TO_KEEP',
            message: `Proposal ${row.id} replaced no proposal that is still closed by it.`,
            hint: 'The earlier proposal was decided, or replaced again, since.',
          },
        ];
      }
      await audit(sql, {
        principal,
        action: 'proposal.kept_both',
        subjectType: 'proposal',
        subjectId: row.id,
        details: { reopened: reopened.map((old) => old.id) },
      });
      const names = reopened.map((old) => old.id).join(', ');
      const replies: Reply[] = [
        { type: 'text', text: `Kept both: proposal ${names} is open again beside ${row.id}.` },
        ...(await Promise.all(reopened.map(async (old) => toProposalReply(await viewFor(principal, old))))),
      ];
      if (row.conversationId) await note(row.conversationId, principal, row.id, names, replies);
      return replies;
    },
  };

  async function note(
    conversationId: ConversationRow['id'],
    principal: Principal,
    proposalId: string,
    names: string,
    replies: Reply[],
  ): Promise<void> {
    const actor = actorLabel(principal);
    const text = `(VelocityMesh note) ${actor} kept both: ${names} stays open beside ${proposalId}.`;
    await appendMessages(sql, conversationId, [{ role: 'user', content: text }], { actor, replies });
  }

  return views;
}
