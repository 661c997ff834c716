import type { WorkflowDocument } from '../../runtime/workflow/document.ts';
import type {
  BotEvent,
  BotReply,
  ConversationPort,
  DecisionInput,
  MessageInput,
} from '../conversation-port.ts';

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

/**
 * A deterministic stand-in for the conversation service, for transport-level tests of a bot (signatures,
 * acks, rendering) only; the contract suite runs every bot against the real service.
 */
export function createScriptedConversation(): ConversationPort & {
  turns: MessageInput[];
  decisions: DecisionInput[];
} {
  const turns: MessageInput[] = [];
  const decisions: DecisionInput[] = [];
  return {
    turns,
    decisions,
    async handleMessage(input, onEvent?: (event: BotEvent) => void): Promise<BotReply[]> {
      turns.push(input);
      const text = `Here is a draft for: ${input.text}`;
      for (const word of text.split(/(?<= )/)) onEvent?.({ type: 'text_delta', text: word });
      return [
        { type: 'text', text },
        {
          type: 'proposal',
          proposalId: `p${turns.length}`,
          kind: 'workflow',
          title: SAMPLE_DOCUMENT.name,
          summary: 'Webhook → if the issue is a bug → post it to #triage on Slack.',
          document: SAMPLE_DOCUMENT,
        },
      ];
    },
    async decide(input): Promise<BotReply[]> {
      decisions.push(input);
      if (input.decision === 'reject') return [{ type: 'text', text: 'Rejected; nothing changed.' }];
      return [{ type: 'workflow_activated', workflowId: 'wf1', name: SAMPLE_DOCUMENT.name }];
    },
  };
}
