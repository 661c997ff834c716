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
import { encodeDiscordCustomId } from './discord-custom-id.ts';

export const DISCORD_MESSAGE_LIMIT = 2000;

export type DiscordMessage = { content: string; components?: unknown[]; flags?: number };

/** Discord's EPHEMERAL message flag: only the person who used the command sees the follow-up. */
export const EPHEMERAL = 1 << 6;

/** Splits text into pieces of at most `limit` characters, preferring line breaks, then spaces. */
export function splitDiscordText(text: string, limit = DISCORD_MESSAGE_LIMIT): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    let cut = rest.lastIndexOf('\n', limit);
    if (cut < limit / 2) cut = rest.lastIndexOf(' ', limit);
    if (cut < limit / 2) cut = limit;
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^[\n ]/, '');
  }
  pieces.push(rest);
  return pieces;
}

/** The files a proposal's document holds, by name, type and size, with a link to its run's page (a fix's run). */
function filesText(reply: PreviewableProposal, publicUrl: string | undefined): string {
  const files = proposalFiles(reply);
  if (files.length === 0) return '';
  const page = proposalRunPage(reply, publicUrl);
  const lines = files.map((file) => `• ${fileLabel(file)}`);
  if (page) lines.push(`Download them on the run page: <${page}>`);
  return `\n\nFiles:\n${lines.join('\n')}`;
}

function replyText(reply: Reply, publicUrl: string | undefined): string {
  switch (reply.type) {
    case 'text':
      return reply.text;
    case 'error':
      return `⚠️ ${reply.message}${reply.hint ? `\n${reply.hint}` : ''}`;
    case 'run_update':
      return `Run ${reply.runId}: **${reply.status}**${reply.message ? ` — ${reply.message}` : ''}`;
    case 'proposal':
    case 'fix_proposal': {
      if (isOperationProposal(reply)) return `**${operationHeading(reply)}**\n${reply.summary}`;
      if (!isPreviewableProposal(reply)) return retryProposalText(reply);
      const { document } = reply.proposal;
      const nodes = document.nodes.map((node) => `• \`${node.id}\` ${node.uses}`).join('\n');
      const heading = proposalKind(reply) === 'fix' ? 'Proposed fix' : 'Proposed workflow';
      return `**${heading}: ${reply.title}**\n${reply.summary}\n\nTrigger: ${document.trigger.type}\n${nodes}${filesText(reply, publicUrl)}`;
    }
    case 'connect_link':
      // What everybody may see: never the link (renderDiscordConnectLink has it, for its recipient only).
      return reply.text;
    default: {
      const unknown = reply as { text?: string; message?: string };
      return unknown.text ?? unknown.message ?? 'The agent sent a reply this bot cannot show.';
    }
  }
}

/**
 * One reply as Discord messages (split at 2,000 characters); a proposal's last piece carries the buttons.
 * `publicUrl`: this server's address, for links to the web pages.
 */
export function renderDiscordReply(
  reply: Reply,
  options: { publicUrl?: string | undefined } = {},
): DiscordMessage[] {
  const messages: DiscordMessage[] = splitDiscordText(replyText(reply, options.publicUrl)).map((content) => ({
    content,
  }));
  const last = messages.at(-1);
  const decidable =
    isPreviewableProposal(reply) ||
    ((reply.type === 'proposal' || reply.type === 'fix_proposal') && isOperationProposal(reply));
  if (decidable && last) {
    last.components = [
      {
        type: 1,
        components: [
          {
            type: 2,
            style: 3,
            label: 'Approve',
            custom_id: encodeDiscordCustomId({ decision: 'approve', proposalId: reply.proposal.id }),
          },
          {
            type: 2,
            style: 4,
            label: 'Reject',
            custom_id: encodeDiscordCustomId({ decision: 'reject', proposalId: reply.proposal.id }),
          },
          // A card that replaced open proposals offers to keep them open beside it.
          ...(reply.type !== 'proposal' && reply.type !== 'fix_proposal'
            ? []
            : (reply.proposal.replaces ?? []).length > 0
              ? [
                  {
                    type: 2,
                    style: 2,
                    label: 'Keep both',
                    custom_id: encodeDiscordCustomId({
                      decision: 'keep_both',
                      proposalId: reply.proposal.id,
                    }),
                  },
                ]
              : []),
        ],
      },
    ];
  }
  return messages;
}

/** `discord:G1:123` → `123`; undefined for identities of other front-ends. */
export const discordUserOf = (identity: string): string | undefined =>
  /^discord:[^:]+:(\d+)$/.exec(identity)?.[1];

/** A connect link for its recipient only (an ephemeral follow-up or a DM): the text and a link button. */
export function renderDiscordConnectLink(reply: Extract<Reply, { type: 'connect_link' }>): DiscordMessage {
  const label = `${reply.reconnect ? 'Reconnect' : 'Connect'} ${reply.credential}`.slice(0, 80);
  return {
    content: splitDiscordText(reply.text)[0] ?? '',
    ...(reply.url
      ? { components: [{ type: 1, components: [{ type: 2, style: 5, label, url: reply.url }] }] }
      : {}),
  };
}
