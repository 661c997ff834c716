import type { Reply } from '../../agent/index.ts';
import {
  fileLabel,
  isOperationProposal,
  isPreviewableProposal,
  operationHeading,
  type PreviewableProposal,
  proposalFiles,
  proposalKind,
  proposalRunPage,
  retryProposalText,
} from '../proposal-view.ts';
import {
  encodeSlackActionValue,
  SLACK_APPROVE_ACTION,
  SLACK_KEEP_BOTH_ACTION,
  SLACK_REJECT_ACTION,
} from './slack-action-value.ts';
import { slackDiffLines } from './slack-diff-lines.ts';

export type SlackBlock = Record<string, unknown>;
export type SlackMessage = { text: string; blocks?: SlackBlock[] };

const MAX_SECTION = 2900;
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
/** Slack mrkdwn treats &, < and > as control characters. */
export const escapeMrkdwn = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function nodeOutline(document: PreviewableProposal['proposal']['document']): string {
  const lines = document.nodes.map((node) => `• \`${node.id}\` ${node.uses}`);
  for (const edge of document.edges) {
    if (edge.branch) lines.push(`  ${edge.from} —${edge.branch}→ ${edge.to}`);
  }
  return lines.join('\n');
}

/** A connect link, for an ephemeral message to its recipient: the text and a button that opens the link. */
export function renderSlackConnectLink(reply: Extract<Reply, { type: 'connect_link' }>): SlackMessage {
  const label = `${reply.reconnect ? 'Reconnect' : 'Connect'} ${reply.credential}`;
  return {
    text: `${reply.text} ${reply.url ?? ''}`.trim(),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: clip(escapeMrkdwn(reply.text), MAX_SECTION) } },
      ...(reply.url
        ? [
            {
              type: 'actions',
              elements: [
                {
                  type: 'button',
                  action_id: 'vmesh_connect_link',
                  style: 'primary',
                  text: { type: 'plain_text', text: clip(label, 75) },
                  url: reply.url,
                },
              ],
            },
          ]
        : []),
    ],
  };
}

/** The files a proposal's document holds, by name, type and size, with a link to its run's page (a fix's run). */
/** A change to a stored workflow (a fix, an edit, a roll back) shows what changes from the current version. */
function diffSection(reply: PreviewableProposal): SlackBlock[] {
  const { diff } = reply.proposal;
  if (diff.length === 0) return [];
  const text = `*Changes from the current version (${diff.length}):*\n${escapeMrkdwn(slackDiffLines(diff).join('\n'))}`;
  return [{ type: 'section', text: { type: 'mrkdwn', text: clip(text, MAX_SECTION) } }];
}

function filesSection(reply: PreviewableProposal, publicUrl: string | undefined): SlackBlock[] {
  const files = proposalFiles(reply);
  if (files.length === 0) return [];
  const page = proposalRunPage(reply, publicUrl);
  const lines = files.map((file) => `• ${escapeMrkdwn(fileLabel(file))}`);
  if (page) lines.push(`<${page}|Open the run page> to download them.`);
  return [
    { type: 'section', text: { type: 'mrkdwn', text: clip(`*Files:*\n${lines.join('\n')}`, MAX_SECTION) } },
  ];
}

/**
 * One reply as a Slack message: plain text fallback plus Block Kit (a proposal gets Approve/Reject buttons).
 * `publicUrl`: this server's address, for links to the web pages.
 */
/** The Approve / Reject buttons of a proposal card, and Keep both when it replaced open proposals. */
function decisionButtons(proposalId: string, replaces: readonly string[] = []) {
  const keepBoth = replaces.length
    ? [
        {
          type: 'button',
          action_id: SLACK_KEEP_BOTH_ACTION,
          text: { type: 'plain_text', text: 'Keep both' },
          value: encodeSlackActionValue({ proposalId, decision: 'keep_both' }),
        },
      ]
    : [];
  return {
    type: 'actions',
    block_id: 'vmesh_decision',
    elements: [
      {
        type: 'button',
        action_id: SLACK_APPROVE_ACTION,
        style: 'primary',
        text: { type: 'plain_text', text: 'Approve' },
        value: encodeSlackActionValue({ proposalId, decision: 'approve' }),
      },
      {
        type: 'button',
        action_id: SLACK_REJECT_ACTION,
        style: 'danger',
        text: { type: 'plain_text', text: 'Reject' },
        value: encodeSlackActionValue({ proposalId, decision: 'reject' }),
      },
      ...keepBoth,
    ],
  };
}

export function renderSlackReply(
  reply: Reply,
  options: { publicUrl?: string | undefined } = {},
): SlackMessage {
  switch (reply.type) {
    case 'text':
      return { text: reply.text };
    case 'error':
      return { text: `⚠️ ${reply.message}${reply.hint ? `\n${reply.hint}` : ''}` };
    case 'run_update':
      return { text: `Run ${reply.runId}: *${reply.status}*${reply.message ? ` — ${reply.message}` : ''}` };
    case 'proposal':
    case 'fix_proposal': {
      if (isOperationProposal(reply)) {
        const heading = operationHeading(reply);
        return {
          text: `${heading}: ${reply.summary}`,
          blocks: [
            { type: 'header', text: { type: 'plain_text', text: clip(heading, 150) } },
            {
              type: 'section',
              text: { type: 'mrkdwn', text: clip(escapeMrkdwn(reply.summary), MAX_SECTION) },
            },
            decisionButtons(reply.proposal.id),
          ],
        };
      }
      if (!isPreviewableProposal(reply)) return { text: retryProposalText(reply) };
      const heading =
        proposalKind(reply) === 'fix'
          ? 'Proposed fix'
          : reply.proposal.kind === 'change'
            ? 'Proposed change'
            : 'Proposed workflow';
      const { document } = reply.proposal;
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
                `*Trigger:* ${document.trigger.type}\n${escapeMrkdwn(nodeOutline(document))}`,
                MAX_SECTION,
              ),
            },
          },
          ...diffSection(reply),
          ...filesSection(reply, options.publicUrl),
          decisionButtons(reply.proposal.id, reply.proposal.replaces),
        ],
      };
    }
    case 'connect_link':
      // Shown to everybody in the thread: never the link.
      return { text: reply.text };
    default: {
      const unknown = reply as { text?: string; message?: string };
      return { text: unknown.text ?? unknown.message ?? 'The agent sent a reply this bot cannot show.' };
    }
  }
}
