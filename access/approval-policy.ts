import { z } from 'zod';
import type { Principal } from './principal.ts';
import { allows } from './principal.ts';
import type { Role } from './roles.ts';

/**
 * Who must approve a proposal the agent made, decided from what the proposal does, never from the proposer
 * alone. Pure: the conversation service gathers the facts (workflow owner, new destinations, whose
 * credentials) and stores the requirement with the proposal; `mayApprove` checks a person against it.
 */

/** Stands for "the workspace's admins and owners" in a proposal's approver list (the rest are user ids). */
export const ADMINS = 'role:admin';

export const ApprovalPolicy = z.strictObject({
  selfApprove: z
    .strictObject({
      /** An admin or owner may approve their own proposal when no second person is required. */
      admins: z.boolean().default(true),
      /**
       * A builder may approve their own new workflow (or a change to a workflow they own) when it adds no
       * outbound destination and uses nobody else's credential. Off by default: an admin or owner approves.
       */
      builders: z.boolean().default(false),
    })
    .default({ admins: true, builders: false }),
  secondPerson: z
    .strictObject({
      /** A proposal that adds an outbound destination (host, channel, recipient) needs someone else's approval. */
      newDestinations: z.boolean().default(true),
      /** A proposal that uses a credential someone else owns (shared with the workspace) needs someone else. */
      othersCredentials: z.boolean().default(true),
      /**
       * In a workspace where nobody else may approve (the owner alone), the owner's own approval is enough:
       * there is no second person to ask.
       */
      exceptSoloOwner: z.boolean().default(true),
    })
    .default({ newDestinations: true, othersCredentials: true, exceptSoloOwner: true }),
});
export type ApprovalPolicy = z.infer<typeof ApprovalPolicy>;

export const DEFAULT_APPROVAL_POLICY: ApprovalPolicy = ApprovalPolicy.parse({});

/** VMESH_APPROVAL_POLICY (JSON, fields of ApprovalPolicy; missing fields keep their defaults). */
export function parseApprovalPolicy(text: string | undefined): ApprovalPolicy {
  if (text === undefined || text.trim() === '') return DEFAULT_APPROVAL_POLICY;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('VMESH_APPROVAL_POLICY is not JSON, e.g. {"selfApprove":{"builders":true}}.');
  }
  const parsed = ApprovalPolicy.safeParse(value);
  if (!parsed.success)
    throw new Error(`VMESH_APPROVAL_POLICY: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`);
  return parsed.data;
}

export type ProposalFacts = {
  kind: 'new' | 'change' | 'fix' | 'activate' | 'delete';
  /** Null when the system proposed it (a self-healing fix). */
  proposer: { userId: string; role: Role } | null;
  /** The changed workflow's owner (null: a new workflow, or one made before owners existed). */
  workflowOwnerId: string | null;
  /** Outbound destinations the current version does not have (all of them for a new workflow). */
  newDestinations: readonly string[];
  /** Credentials the proposal adds that someone other than the proposer owns (or nobody owns). */
  othersCredentials: readonly string[];
  /** Whether anyone besides the proposer may approve proposals in this workspace. */
  othersMayApprove: boolean;
};

export type ApprovalRequirement = {
  /** User ids and/or ADMINS. */
  approvers: string[];
  proposerId: string | null;
  proposerMayApprove: boolean;
  /** Why someone other than the proposer must approve (empty: the policy does not ask for a second person). */
  secondPersonReasons: string[];
};

export function approvalRequirement(facts: ProposalFacts, policy: ApprovalPolicy): ApprovalRequirement {
  const reasons: string[] = [];
  if (policy.secondPerson.newDestinations && facts.newDestinations.length > 0)
    reasons.push(`it adds outbound destinations (${facts.newDestinations.slice(0, 5).join('; ')})`);
  if (policy.secondPerson.othersCredentials && facts.othersCredentials.length > 0)
    reasons.push(`it uses credentials someone else owns (${facts.othersCredentials.join(', ')})`);
  const proposer = facts.proposer;
  const approvers = new Set<string>([ADMINS]);
  if (facts.kind !== 'new' && facts.workflowOwnerId) approvers.add(facts.workflowOwnerId);
  let proposerMayApprove = false;
  if (proposer) {
    const admin = proposer.role === 'owner' || proposer.role === 'admin';
    const ownsTarget = facts.kind === 'new' || facts.workflowOwnerId === proposer.userId;
    const selfAllowed = admin ? policy.selfApprove.admins : policy.selfApprove.builders && ownsTarget;
    const soloOwner =
      policy.secondPerson.exceptSoloOwner && proposer.role === 'owner' && !facts.othersMayApprove;
    proposerMayApprove = selfAllowed && (reasons.length === 0 || soloOwner);
    if (proposerMayApprove) approvers.add(proposer.userId);
    else approvers.delete(proposer.userId);
  }
  return {
    approvers: [...approvers],
    proposerId: proposer?.userId ?? null,
    proposerMayApprove,
    secondPersonReasons: reasons,
  };
}

export type ApprovalVerdict = { ok: true } | { ok: false; message: string; hint: string };

/** Whether `principal` may approve (or reject) a proposal with this requirement. */
export function mayApprove(requirement: ApprovalRequirement, principal: Principal): ApprovalVerdict {
  const who = describeApprovers(requirement.approvers);
  if (!allows(principal, 'proposal.approve')) {
    return {
      ok: false,
      message: `${principal.name} (${principal.role}) may not approve proposals.`,
      hint: `Ask ${who}.`,
    };
  }
  if (principal.userId === requirement.proposerId && !requirement.proposerMayApprove) {
    const why = requirement.secondPersonReasons.length
      ? `because ${requirement.secondPersonReasons.join(' and ')}`
      : 'because the approval policy does not let a proposer approve their own proposal';
    return {
      ok: false,
      message: `You proposed this, so someone else must approve it (${why}).`,
      hint: `Ask ${who} (not you) to approve it.`,
    };
  }
  const listed = requirement.approvers.includes(principal.userId);
  // An empty list means admins and owners only (it used to mean "anyone": migration 5400 retired that).
  const adminsListed = requirement.approvers.length === 0 || requirement.approvers.includes(ADMINS);
  const asAdmin = adminsListed && allows(principal, 'workflow.manage_all');
  if (listed || asAdmin) return { ok: true };
  return {
    ok: false,
    message: `${principal.name} is not one of this proposal's approvers.`,
    hint: `Ask ${who}.`,
  };
}

/** `['usr_1', 'role:admin']` → `user usr_1 or a workspace admin/owner`. */
export function describeApprovers(approvers: readonly string[], names?: ReadonlyMap<string, string>): string {
  const parts = approvers
    .filter((approver) => approver !== ADMINS)
    .map((id) => names?.get(id) ?? `user ${id}`);
  parts.push('a workspace admin or owner');
  return parts.join(' or ');
}
