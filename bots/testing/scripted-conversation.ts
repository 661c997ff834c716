import type { ProposalReply, Reply } from '../../agent/index.ts';
import type { WorkflowDocument } from '../../runtime/workflow/document.ts';
import type { BotActor, ConversationPort, DecisionInput, MessageInput } from '../conversation-port.ts';

export const SAMPLE_DOCUMENT: WorkflowDocument = {
  schemaVersion: 1,
  name: 'Post new bug issues to Slack',
  description: 'When GitHub sends an issue labelled bug, post it to #triage.',
  trigger: { type: 'webhook' },
  nodes: [
    { id: 'isBug', uses: 'core.if', with: { condition: "{{ 'bug' in trigger.body.issue.labels.name }}" } },
    { id: 'post', uses: 'slack.postMessage', credential: 'slack', with: { channel: '#triage', text: 'Bug' } },
  ],
  edges: [{ from: 'isBug', to: 'post', branch: 'true' }],
};

/** A pending proposal reply as the conversation service sends it (for transport-level bot tests). */
export function sampleProposalReply(input: {
  id: string;
  kind: 'workflow' | 'fix' | 'activate' | 'delete';
  title: string;
  summary: string;
  document: WorkflowDocument | null;
}): ProposalReply {
  const proposal = {
    id: input.id,
    kind: input.kind === 'workflow' ? ('new' as const) : input.kind,
    status: 'pending' as const,
    summary: input.summary,
    conversationId: null,
    workflowId: null,
    runId: input.kind === 'fix' ? 'run-1' : null,
    baseVersion: null,
    document: input.document,
    documentHash: null,
    diff: [],
    approvers: [],
    missingCredentials: [],
    connectedCredentials: [],
    effects: null,
    warnings: [],
    setup: [],
    dryRunOk: null,
    approval: null,
    createdBy: 'test',
    createdAt: new Date(0).toISOString(),
  };
  const shown = { title: input.title, summary: input.summary, proposal };
  return input.kind === 'fix'
    ? { type: 'fix_proposal', ...shown, failure: { runId: 'run-1', nodeId: null, error: '' } }
    : { type: 'proposal', ...shown };
}

/**
 * A deterministic stand-in for the conversation service, for transport-level tests of a bot (signatures,
 * acks, rendering) only; the contract suite runs every bot against the real service.
 */
export function createScriptedConversation(): ConversationPort & {
  turns: MessageInput[];
  decisions: DecisionInput[];
  keptBoth: { proposalId: string; actor: BotActor }[];
} {
  const turns: MessageInput[] = [];
  const decisions: DecisionInput[] = [];
  const keptBoth: { proposalId: string; actor: BotActor }[] = [];
  return {
    turns,
    decisions,
    keptBoth,
    async keepBoth(proposalId, actor): Promise<Reply[]> {
      keptBoth.push({ proposalId, actor });
      return [{ type: 'text', text: `Kept both: proposal p0 is open again beside ${proposalId}.` }];
    },
    async handleMessage(input, onEvent): Promise<Reply[]> {
      turns.push(input);
      const text = `Here is a draft for: ${input.text}`;
      for (const word of text.split(/(?<= )/)) onEvent?.({ type: 'text_delta', text: word });
      return [
        { type: 'text', text },
        sampleProposalReply({
          id: `p${turns.length}`,
          kind: 'workflow',
          title: SAMPLE_DOCUMENT.name,
          summary: 'Webhook → if the issue is a bug → post it to #triage on Slack.',
          document: SAMPLE_DOCUMENT,
        }),
        // A message that asks to connect gets a link for the person who asked (as the real service makes them).
        ...(input.text.includes('connect')
          ? [
              {
                type: 'connect_link' as const,
                credential: 'crm',
                credentialType: 'bearer',
                reconnect: false,
                url: 'https://vmesh.example/connect/SCRIPTEDLINKTOKEN0123456789',
                expiresAt: new Date(Date.now() + 1_800_000).toISOString(),
                recipient: {
                  userId: 'u1',
                  name: 'ada',
                  identity: `${input.actor.platform}:${input.actor.id}`,
                },
                text: 'Connect the credential "crm" (bearer): ada, a private link was sent to you only.',
              },
            ]
          : []),
      ];
    },
    async decide(input): Promise<Reply[]> {
      decisions.push(input);
      if (input.decision === 'reject') return [{ type: 'text', text: 'Rejected; nothing changed.' }];
      return [
        { type: 'text', text: `Approved. Workflow "${SAMPLE_DOCUMENT.name}" is active (id wf1, version 1).` },
      ];
    },
  };
}
