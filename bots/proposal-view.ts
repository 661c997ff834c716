import type { ProposalReply, Reply } from '../agent/index.ts';

/** A proposal a person can preview and approve with buttons (a fix that only retries the run has no document). */
export type PreviewableProposal = ProposalReply & {
  proposal: ProposalReply['proposal'] & { document: NonNullable<ProposalReply['proposal']['document']> };
};

export const isPreviewableProposal = (reply: Reply): reply is PreviewableProposal =>
  (reply.type === 'proposal' || reply.type === 'fix_proposal') && reply.proposal.document !== null;

/** How bots head a proposal: a fix, or a workflow (new or changed). */
export const proposalKind = (reply: ProposalReply): 'workflow' | 'fix' =>
  reply.type === 'fix_proposal' ? 'fix' : 'workflow';

/** A fix that only retries the run as it is: shown as text. */
export const retryProposalText = (reply: ProposalReply): string =>
  `Proposal ${reply.proposal.id}: ${reply.summary} (approve to retry the run as it is)`;
