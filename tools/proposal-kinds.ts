/** What a proposal does on approval: new/change/fix store a document; activate resumes a paused workflow, delete deletes one. */
export const PROPOSAL_KINDS = ['new', 'change', 'fix', 'activate', 'delete'] as const;
