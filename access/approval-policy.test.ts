import { describe, expect, it } from 'vitest';
import {
  ADMINS,
  approvalRequirement,
  DEFAULT_APPROVAL_POLICY,
  mayApprove,
  type ProposalFacts,
  parseApprovalPolicy,
} from './approval-policy.ts';
import type { Principal } from './principal.ts';
import type { Role } from './roles.ts';

const person = (userId: string, role: Role): Principal => ({
  userId,
  workspaceId: 'default',
  name: userId,
  role,
  via: 'slack',
  identity: `slack:T:${userId}`,
});
const builder = person('bob', 'builder');
const owner = person('olga', 'owner');
const admin = person('ada', 'admin');
const viewer = person('vic', 'viewer');
const otherBuilder = person('bea', 'builder');

const facts = (over: Partial<ProposalFacts> = {}): ProposalFacts => ({
  kind: 'new',
  proposer: { userId: 'bob', role: 'builder' },
  workflowOwnerId: null,
  newDestinations: [],
  othersCredentials: [],
  othersMayApprove: true,
  ...over,
});

describe('approval policy', () => {
  it("a builder's new workflow needs an admin or owner by default; the builder alone never approves it", () => {
    const requirement = approvalRequirement(facts(), DEFAULT_APPROVAL_POLICY);
    expect(requirement.approvers).toEqual([ADMINS]);
    expect(mayApprove(requirement, builder)).toMatchObject({ ok: false });
    expect(mayApprove(requirement, otherBuilder)).toMatchObject({ ok: false });
    expect(mayApprove(requirement, viewer)).toMatchObject({ ok: false });
    expect(mayApprove(requirement, owner)).toEqual({ ok: true });
    expect(mayApprove(requirement, admin)).toEqual({ ok: true });
  });

  it('lets builders approve their own safe new workflows only when configured', () => {
    const policy = parseApprovalPolicy('{"selfApprove":{"builders":true}}');
    expect(mayApprove(approvalRequirement(facts(), policy), builder)).toEqual({ ok: true });
    const withDestination = approvalRequirement(facts({ newDestinations: ['slack #triage'] }), policy);
    const verdict = mayApprove(withDestination, builder);
    expect(verdict).toMatchObject({ ok: false });
    if (!verdict.ok) expect(verdict.message).toContain('someone else must approve');
    const withShared = approvalRequirement(facts({ othersCredentials: ['team-slack'] }), policy);
    expect(mayApprove(withShared, builder)).toMatchObject({ ok: false });
    expect(mayApprove(withShared, admin)).toEqual({ ok: true });
  });

  it('a change: the workflow owner and admins approve; a second person when a destination is added', () => {
    const change = facts({
      kind: 'change',
      proposer: { userId: 'ada', role: 'admin' },
      workflowOwnerId: 'bea',
    });
    const plain = approvalRequirement(change, DEFAULT_APPROVAL_POLICY);
    expect(plain.approvers).toEqual(expect.arrayContaining([ADMINS, 'bea', 'ada']));
    expect(mayApprove(plain, otherBuilder)).toEqual({ ok: true });
    expect(mayApprove(plain, admin)).toEqual({ ok: true });
    expect(mayApprove(plain, builder)).toMatchObject({ ok: false });
    const risky = approvalRequirement(
      { ...change, newDestinations: ['https://evil.example'] },
      DEFAULT_APPROVAL_POLICY,
    );
    expect(risky.approvers).not.toContain('ada');
    expect(mayApprove(risky, admin)).toMatchObject({ ok: false });
    expect(mayApprove(risky, otherBuilder)).toEqual({ ok: true });
  });

  it('a solo owner (nobody else may approve) approves their own, unless the policy says otherwise', () => {
    const solo = facts({
      proposer: { userId: 'olga', role: 'owner' },
      newDestinations: ['slack #triage'],
      othersMayApprove: false,
    });
    expect(mayApprove(approvalRequirement(solo, DEFAULT_APPROVAL_POLICY), owner)).toEqual({ ok: true });
    expect(
      mayApprove(approvalRequirement({ ...solo, othersMayApprove: true }, DEFAULT_APPROVAL_POLICY), owner),
    ).toMatchObject({ ok: false });
    const strict = parseApprovalPolicy('{"secondPerson":{"exceptSoloOwner":false}}');
    expect(mayApprove(approvalRequirement(solo, strict), owner)).toMatchObject({ ok: false });
  });

  it('a self-healing fix: the workflow owner and admins, never "anyone"', () => {
    const fix = approvalRequirement(
      facts({ kind: 'fix', proposer: null, workflowOwnerId: 'bea' }),
      DEFAULT_APPROVAL_POLICY,
    );
    expect(fix.approvers.sort()).toEqual([ADMINS, 'bea'].sort());
    expect(mayApprove(fix, otherBuilder)).toEqual({ ok: true });
    expect(mayApprove(fix, builder)).toMatchObject({ ok: false });
    expect(mayApprove({ ...fix, approvers: [] }, builder)).toMatchObject({ ok: false });
    expect(mayApprove({ ...fix, approvers: [] }, otherBuilder)).toMatchObject({ ok: false });
    expect(mayApprove({ ...fix, approvers: [] }, admin)).toEqual({ ok: true });
  });

  it('refuses a policy that is not JSON or has unknown fields', () => {
    expect(() => parseApprovalPolicy('{')).toThrow(/not JSON/);
    expect(() => parseApprovalPolicy('{"anyone":true}')).toThrow(/VMESH_APPROVAL_POLICY/);
  });
});
