import type { Logger } from '../lib/index.ts';
import type { ProposalRow } from './conversation-store.ts';

export type DecisionOutcome = 'approved' | 'rejected' | 'refused' | 'failed';

/**
 * The server's line for a decision on a proposal: its id, kind, workflow, who decided and what came of it (refused:
 * the decider may not; failed: approving did not apply, with the error code). No documents, diffs or comments.
 */
export function logDecision(
  logger: Logger | undefined,
  proposal: Pick<ProposalRow, 'id' | 'kind' | 'workflowId'>,
  decision: { decidedBy: string; outcome: DecisionOutcome; errorCode?: string | undefined },
): void {
  if (!logger) return;
  const line = {
    event: 'proposal.decided',
    proposalId: proposal.id,
    kind: proposal.kind,
    workflowId: proposal.workflowId,
    decidedBy: decision.decidedBy,
    outcome: decision.outcome,
    errorCode: decision.errorCode,
  };
  if (decision.outcome === 'approved' || decision.outcome === 'rejected')
    logger.info(line, 'proposal decided');
  else logger.warn(line, 'proposal decision not applied');
}
