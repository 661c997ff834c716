import type { BotReply } from '../conversation-port.ts';
import { encodeSlackActionValue, SLACK_APPROVE_ACTION, SLACK_REJECT_ACTION } from './slack-action-value.ts';

export type SlackBlock = Record<string, unknown>;
export type SlackMessage = { text: string; blocks?: SlackBlock[] };

const MAX_SECTION = 2900;
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
/** Slack mrkdwn treats &, < and > as control characters. */
export const escapeMrkdwn = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function nodeOutline(reply: Extract<BotReply, { type: 'proposal' }>): string {
  const lines = reply.document.nodes.map((node) => `• \`${node.id}\` ${node.uses}`);
  for (const edge of reply.document.edges) {
    if (edge.branch) lines.push(`  ${edge.from} —${edge.branch}→ ${edge.to}`);
  }
  return lines.join('\n');
}

/** One reply as a Slack message: plain text fallback plus Block Kit (a proposal gets Approve/Reject buttons). */
export function renderSlackReply(reply: BotReply): SlackMessage {
  switch (reply.type) {
    case 'text':
      return { text: reply.text };
    case 'error':
      return { text: `⚠️ ${reply.message}${reply.hint ? `\n${reply.hint}` : ''}` };
    case 'run_update':
      return { text: `Run ${reply.runId}: *${reply.status}*${reply.text ? ` — ${reply.text}` : ''}` };
    case 'workflow_activated':
      return { text: reply.text ?? `Workflow “${reply.name}” is active.` };
    case 'proposal': {
      const heading = reply.kind === 'fix' ? 'Proposed fix' : 'Proposed workflow';
      return {
        text: `${heading}: ${reply.title}`,
        blocks: [
          { type: 'header', text: { type: 'plain_text', text: clip(`${heading}: ${reply.title}`, 150) } },
          { type: 'section', text: { type: 'mrkdwn', text: clip(escapeMrkdwn(reply.summary), MAX_SECTION) } },
          {
            type: 'section',
            text: {
              type: 'mrkdwn',
              text: clip(
                `*Trigger:* ${reply.document.trigger.type}\n${escapeMrkdwn(nodeOutline(reply))}`,
                MAX_SECTION,
              ),
            },
          },
          {
            type: 'actions',
            block_id: 'vmesh_decision',
            elements: [
              {
                type: 'button',
                action_id: SLACK_APPROVE_ACTION,
                style: 'primary',
                text: { type: 'plain_text', text: 'Approve' },
                value: encodeSlackActionValue({ proposalId: reply.proposalId, decision: 'approve' }),
              },
              {
                type: 'button',
                action_id: SLACK_REJECT_ACTION,
                style: 'danger',
                text: { type: 'plain_text', text: 'Reject' },
                value: encodeSlackActionValue({ proposalId: reply.proposalId, decision: 'reject' }),
              },
            ],
          },
        ],
      };
    }
    default: {
      const unknown = reply as { text?: string; message?: string };
      return { text: unknown.text ?? unknown.message ?? 'The agent sent a reply this bot cannot show.' };
    }
  }
}
