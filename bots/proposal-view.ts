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

/** Resuming or deleting a workflow: no document to preview, but Approve/Reject buttons all the same. */
export const isOperationProposal = (reply: ProposalReply): boolean =>
  reply.proposal.kind === 'activate' || reply.proposal.kind === 'delete';

/** The card's heading for a resume or delete proposal. */
export const operationHeading = (reply: ProposalReply): string =>
  reply.proposal.kind === 'delete' ? 'Confirm: delete workflow' : 'Proposed: resume workflow';

/** A proposal without a document (a fix that only retries the run, a resume, a delete): shown as text. */
export const retryProposalText = (reply: ProposalReply): string => {
  const what =
    reply.proposal.kind === 'activate'
      ? 'approve to resume the workflow'
      : reply.proposal.kind === 'delete'
        ? 'approve to delete the workflow'
        : 'approve to retry the run as it is';
  return `Proposal ${reply.proposal.id}: ${reply.summary} (${what})`;
};

/** A file (FileRef) a proposal's document holds: what its approval message names. */
export type ProposalFile = { id: string; name: string; contentType: string; size: number };

const MAX_PROPOSAL_FILES = 20;

const asFile = (value: Record<string, unknown>): ProposalFile | undefined =>
  typeof value.id === 'string' &&
  typeof value.sha256 === 'string' &&
  typeof value.name === 'string' &&
  typeof value.contentType === 'string' &&
  typeof value.size === 'number'
    ? { id: value.id, name: value.name, contentType: value.contentType, size: value.size }
    : undefined;

/**
 * The files (FileRefs: id, sha256, name, contentType, size) in a proposal's document, at most 20, 8 levels deep,
 * each once. Browser-safe: the web card, Slack and Discord all use it.
 */
export function proposalFiles(reply: ProposalReply): ProposalFile[] {
  const found: ProposalFile[] = [];
  const seen = new Set<string>();
  const visit = (value: unknown, depth: number) => {
    if (found.length >= MAX_PROPOSAL_FILES || depth > 8 || typeof value !== 'object' || value === null)
      return;
    if (Array.isArray(value)) {
      for (const item of value) visit(item, depth + 1);
      return;
    }
    const file = asFile(value as Record<string, unknown>);
    if (file) {
      if (!seen.has(file.id)) found.push(file);
      seen.add(file.id);
      return;
    }
    for (const inner of Object.values(value)) visit(inner, depth + 1);
  };
  visit(reply.proposal.document, 0);
  return found;
}

export function formatFileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** "name (type, size)", as chat messages name a file. */
export const fileLabel = (file: ProposalFile): string =>
  `${file.name} (${file.contentType}, ${formatFileSize(file.size)})`;

/** The web page of the proposal's run (a fix's failed run), when the server's public URL is known. */
export function proposalRunPage(reply: ProposalReply, publicUrl: string | undefined): string | undefined {
  const { runId } = reply.proposal;
  if (!runId || !publicUrl) return undefined;
  return `${publicUrl.replace(/\/+$/, '')}/#/runs/${encodeURIComponent(runId)}`;
}
