import { z } from 'zod';
import { defineCoreNode } from './define-core-node.ts';

export const CoreApprovalWith = z.strictObject({
  message: z.string().min(1).max(4000).describe('What the approver is asked, shown in the chat.'),
  approvers: z
    .array(z.string().min(1).max(200))
    .optional()
    .describe(
      'Who may decide: user names (`alice`) or roles (`role:admin` = that role or higher); when omitted, anyone who may decide approvals and can see the run.',
    ),
  data: z
    .unknown()
    .optional()
    .describe(
      'What the approver decides on, shown with the question (usually an expression, e.g. "{{ steps.draft.output }}"); files in it are listed by name, type and size with a download link.',
    ),
});

type ApprovalWait = { message: string; approvers: string[] };

export const approvalNode = defineCoreNode({
  uses: 'core.approval',
  title: 'Approval',
  description:
    'Pauses the run and asks in the chat where the workflow was made; with.message is the question, ' +
    'with.approvers optionally limits who may decide; with.data is shown with it (files in it with download ' +
    'links). Branches "approved" and "rejected". ' +
    'Use it before irreversible or costly steps.',
  contract: {
    title: 'Approval (ask a person)',
    text: '`with.message`, optional `approvers` and `data` (shown with it; files listed). Pauses the run and asks in the chat; branches `approved` and `rejected`.',
  },
  effect: 'write',
  inline: false,
  claimless: false,
  with: CoreApprovalWith,
  branches: () => ['approved', 'rejected'],
  watchedBranches: () => ['approved'],
  literalFields: [],
  shape: ['[[', ']]'],
  async run(ctx) {
    const input = ctx.setInput(await ctx.evaluate(ctx.node.with));
    const approval = CoreApprovalWith.parse(input);
    const wait: ApprovalWait = { message: approval.message, approvers: approval.approvers ?? [] };
    return { kind: 'wait', input, wait };
  },
  async begin(value, ctx) {
    const wait = value as ApprovalWait;
    const approvalId = await ctx.requestApproval(wait.message, wait.approvers);
    ctx.event('approval.requested', {
      ...ctx.step,
      approvalId,
      message: wait.message,
      approvers: wait.approvers,
    });
  },
  async resume(ctx) {
    const approval = await ctx.approval();
    if (!approval || (approval.status !== 'approved' && approval.status !== 'rejected'))
      return { kind: 'pending' };
    return {
      kind: 'succeeded',
      input: null,
      output: {
        approvalId: approval.id,
        decision: approval.status,
        decidedBy: approval.decidedBy,
        comment: approval.comment,
      },
      branch: approval.status,
    };
  },
  simulate: () => ({ status: 'would-wait', output: {}, branch: 'approved' }),
});
