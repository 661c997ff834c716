import { z } from 'zod';
import { RunStatus, type WorkflowDocument } from '../runtime/index.ts';
import { PROPOSAL_KINDS } from '../tools/index.ts';

const Destination = z.object({
  id: z.string(),
  uses: z.string(),
  effect: z.enum(['read', 'write', 'unknown']),
  target: z.string().nullable(),
  computed: z.array(z.object({ field: z.string(), expression: z.string() })),
  credential: z.string().nullable(),
});

/** A proposal as every front-end shows it (the workflow preview). */
export const ProposalView = z.object({
  id: z.string(),
  kind: z.enum(PROPOSAL_KINDS),
  status: z.enum(['pending', 'approved', 'rejected', 'superseded']),
  summary: z.string(),
  conversationId: z.string().nullable(),
  workflowId: z.string().nullable(),
  runId: z.string().nullable(),
  baseVersion: z.number().nullable(),
  /** The exact document a person approves (null for a plain retry fix); validated when it was proposed. */
  document: z.custom<WorkflowDocument>((value) => typeof value === 'object' && value !== null).nullable(),
  /** Approval is bound to this hash: a different document needs a new proposal. */
  documentHash: z.string().nullable(),
  /** RFC 6902 operations from the current version (empty for a new workflow). */
  diff: z.array(z.unknown()),
  /** Who may approve: user ids and `role:admin` (the workspace's admins and owners); empty: admins only. */
  approvers: z.array(z.string()),
  missingCredentials: z.array(
    z.object({ name: z.string(), type: z.string(), nodes: z.array(z.string()), command: z.string() }),
  ),
  /** Credentials that were missing when it was proposed and have been connected since. */
  connectedCredentials: z.array(z.string()).default([]),
  /** Steps that write to the outside world; what is new compared to the current version. */
  effects: z
    .object({
      writeSteps: z.array(z.unknown()),
      newWriteSteps: z.array(
        z.object({
          id: z.string(),
          uses: z.string(),
          target: z.string().nullable(),
          /** Absent in proposals made before actions described their targets. */
          writesTo: z.string().nullable().optional(),
          credential: z.string().nullable(),
        }),
      ),
      newCredentials: z.array(z.string()),
      /** The stored workflow each core.subworkflow step runs (absent in proposals made before it was shown). */
      subworkflowSteps: z
        .array(
          z.object({
            id: z.string(),
            workflow: z.string(),
            target: z.object({ id: z.string(), name: z.string(), active: z.boolean() }).nullable(),
            problem: z.string().nullable(),
          }),
        )
        .optional(),
      destinations: z.array(Destination).default([]),
      newDestinations: z.array(Destination).default([]),
      credentials: z.array(z.string()).default([]),
    })
    .nullable(),
  /** Computed by the conversation service from the approval policy when the proposal was made. */
  approval: z
    .object({
      /** Who must still approve, in words (`alice or a workspace admin or owner`). */
      waitingFor: z.string(),
      proposer: z.string().nullable(),
      secondPersonReasons: z.array(z.string()),
      /** Credential name → whose it is (`yours`, `alice's, shared with the workspace`, …). */
      credentialOwners: z.record(z.string(), z.string()),
    })
    .nullable(),
  warnings: z.array(z.object({ code: z.string(), path: z.string(), message: z.string() }).loose()),
  /**
   * What a person must configure outside for the trigger to start it (runtime/workflow/sender-setup.ts): the URL,
   * which secret, the events to send. Empty when nothing needs configuring or it registers itself.
   */
  setup: z.array(z.string()).default([]),
  /**
   * Pending proposals of this conversation this one closed (superseded) when it was made; "keep both"
   * (reopenReplacedProposals) opens them again and empties this.
   */
  replaces: z.array(z.string()).optional(),
  dryRunOk: z.boolean().nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
});
export type ProposalView = z.infer<typeof ProposalView>;

/** What every front-end shows for a proposal: `title` (the workflow's name) and `summary` (with what needs attention). */
const rendered = { title: z.string(), summary: z.string(), proposal: ProposalView };

/**
 * One message model for every front-end (Slack, Discord, MCP, web, CLI). A front-end that meets a type it
 * does not know shows its `text`/`message` field, so new reply kinds degrade instead of breaking it.
 */
export const Reply = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string() }),
  /** A new workflow or a change, awaiting approval. */
  z.object({ type: z.literal('proposal'), ...rendered }),
  /**
   * A fix for a failed run, awaiting approval; approve with resume 'from-failed-step' or 'rerun'. Without a
   * document it only retries the run as it is.
   */
  z.object({
    type: z.literal('fix_proposal'),
    ...rendered,
    failure: z.object({ runId: z.string(), nodeId: z.string().nullable(), error: z.string() }),
  }),
  z.object({
    type: z.literal('run_update'),
    runId: z.string(),
    workflowId: z.string(),
    status: RunStatus,
    message: z.string(),
  }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string(), hint: z.string().optional() }),
  /**
   * A one-time link for one person to connect (or reconnect) a credential in a browser. Front-ends show `url` only
   * to `recipient` (Slack ephemeral, Discord ephemeral or DM, their own web chat or MCP client); `text` never holds
   * the link, so a front-end that does not know this type shows nothing secret. Stored copies have `url: null`.
   */
  z.object({
    type: z.literal('connect_link'),
    credential: z.string(),
    credentialType: z.string(),
    reconnect: z.boolean(),
    url: z.string().nullable(),
    expiresAt: z.string(),
    recipient: z.object({ userId: z.string(), name: z.string(), identity: z.string() }),
    text: z.string(),
  }),
]);
export type Reply = z.infer<typeof Reply>;
export type ProposalReply = Extract<Reply, { type: 'proposal' | 'fix_proposal' }>;

/** The summary a person reads before approving: what it does, then what needs their attention. */
export function approvalSummary(proposal: ProposalView): string {
  const lines = [proposal.summary];
  for (const step of proposal.effects?.newWriteSteps ?? []) {
    lines.push(
      `⚠ New step that writes outside: ${step.id} (${step.uses})${step.writesTo ? ` writes to ${step.writesTo}` : step.target ? ` → ${step.target}` : ''}${step.credential ? `, using credential "${step.credential}"` : ''}`,
    );
  }
  const newDestinations = new Set((proposal.effects?.newDestinations ?? []).map((d) => d.id));
  for (const destination of proposal.effects?.destinations ?? []) {
    const flagged = newDestinations.has(destination.id) || destination.computed.length > 0;
    lines.push(`${flagged ? '⚠ ' : ''}Sends data out: ${describeDestination(destination)}`);
  }
  const owners = proposal.approval?.credentialOwners ?? {};
  const newCredentials = new Set(proposal.effects?.newCredentials ?? []);
  for (const name of proposal.effects?.credentials.length
    ? proposal.effects.credentials
    : [...newCredentials])
    lines.push(
      `${newCredentials.has(name) ? '⚠ ' : ''}Uses credential "${name}"${owners[name] ? ` (${owners[name]})` : ''}`,
    );
  for (const step of proposal.effects?.subworkflowSteps ?? []) lines.push(subworkflowLine(step));
  for (const credential of proposal.missingCredentials) {
    lines.push(`Needs credential "${credential.name}" (${credential.type}): \`${credential.command}\``);
  }
  for (const name of proposal.connectedCredentials) lines.push(`✓ Credential "${name}" is connected now`);
  if (proposal.setup.length > 0) {
    lines.push('Setup at the sender:');
    for (const line of proposal.setup) lines.push(`- ${line}`);
  }
  if (proposal.dryRunOk === false) lines.push('The dry run reported a failing step.');
  if (proposal.status === 'pending')
    for (const id of proposal.replaces ?? [])
      lines.push(`This replaces proposal ${id} (closed unless you keep both).`);
  if (proposal.approval) {
    for (const reason of proposal.approval.secondPersonReasons)
      lines.push(`Needs someone other than the proposer: ${reason}.`);
    if (proposal.status === 'pending')
      lines.push(`Waiting for approval by: ${proposal.approval.waitingFor}.`);
  }
  return lines.join('\n');
}

type SubworkflowStepView = NonNullable<NonNullable<ProposalView['effects']>['subworkflowSteps']>[number];

const SUBWORKFLOW_PROBLEMS: Record<string, string> = {
  missing: 'no stored workflow has that id or name',
  ambiguous: 'several workflows have that name; use the id',
  forbidden: 'it belongs to another owner',
};

/** Which workflow a sub-workflow step runs, by name and id, or why approving will be refused. */
function subworkflowLine(step: SubworkflowStepView): string {
  if (!step.target) {
    const why = SUBWORKFLOW_PROBLEMS[step.problem ?? ''] ?? 'it cannot be resolved';
    return `⚠ Step ${step.id} runs sub-workflow "${step.workflow}": ${why}, so approving will be refused`;
  }
  const inactive = step.target.active ? '' : ' (inactive: the step fails until it is activated)';
  return `Step ${step.id} runs workflow "${step.target.name}" (${step.target.id})${inactive}`;
}

function describeDestination(destination: z.infer<typeof Destination>): string {
  const parts = [`${destination.id} (${destination.uses}, ${destination.effect})`];
  if (destination.target) parts.push(`→ ${destination.target}`);
  for (const item of destination.computed)
    parts.push(`→ ${item.field} computed at run time from \`${item.expression}\``);
  if (!destination.target && destination.computed.length === 0) parts.push('→ its connector’s service');
  if (destination.credential) parts.push(`with credential "${destination.credential}"`);
  return parts.join(' ');
}

/** A proposal as a reply: a fix (kind `fix`) is a `fix_proposal`, anything else a `proposal`. */
export function toProposalReply(
  proposal: ProposalView,
  failure?: { nodeId: string | null; error: string },
): ProposalReply {
  const shown = {
    title: proposal.document?.name ?? `Retry run ${proposal.runId ?? ''}`.trim(),
    summary: approvalSummary(proposal),
    proposal,
  };
  if (proposal.kind !== 'fix') return { type: 'proposal', ...shown };
  return {
    type: 'fix_proposal',
    ...shown,
    failure: { runId: proposal.runId ?? '', nodeId: failure?.nodeId ?? null, error: failure?.error ?? '' },
  };
}

/** Streamed while a turn runs (front-ends may show typing, tool activity and proposals as they appear). */
export type ConversationEvent =
  | { type: 'text_delta'; text: string }
  | { type: 'tool_start'; id: string; name: string }
  | { type: 'tool_end'; id: string; name: string; isError: boolean }
  | { type: 'proposal'; reply: ProposalReply };

export type OnConversationEvent = (event: ConversationEvent) => void;
