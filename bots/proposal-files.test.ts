import { describe, expect, it } from 'vitest';
import { renderDiscordReply } from './discord/render-discord-reply.ts';
import { fileLabel, proposalFiles, proposalRunPage } from './proposal-view.ts';
import { renderSlackReply } from './slack/render-slack-reply.ts';
import { sampleProposalReply } from './testing/scripted-conversation.ts';

// The files (FileRefs) a proposal's document holds, as the web card, Slack and Discord name them.

const file = (index: number) => ({
  id: `f_file${String(index).padStart(20, '0')}`,
  name: `scan-${index}.png`,
  contentType: 'image/png',
  size: 2_500_000,
  sha256: 'b'.repeat(64),
});

const proposal = (kind: 'workflow' | 'fix', files: unknown[]) =>
  sampleProposalReply({
    id: `p-${kind}`,
    kind,
    title: 'Scans to the archive',
    summary: 'Store the scans.',
    document: {
      schemaVersion: 1,
      name: 'Scans',
      trigger: { type: 'manual' },
      nodes: [{ id: 'store', uses: 'core.transform', with: { value: { files, again: files[0] } } }],
      edges: [],
    },
  });

describe('proposal files', () => {
  it('finds each FileRef once, at most 20, and ignores look-alikes', () => {
    const many = Array.from({ length: 30 }, (_, index) => file(index));
    const found = proposalFiles(proposal('workflow', [...many, { id: 'f_x', name: 'no sha' }]));
    expect(found).toHaveLength(20);
    expect(found[0]).toEqual({
      id: file(0).id,
      name: 'scan-0.png',
      contentType: 'image/png',
      size: 2_500_000,
    });
    expect(fileLabel(found[0] ?? file(0))).toBe('scan-0.png (image/png, 2.4 MB)');
    expect(proposalFiles(proposal('workflow', []))).toEqual([]);
  });

  it('links a fix’s run page when the public URL is known', () => {
    expect(proposalRunPage(proposal('fix', [file(1)]), 'https://vm.example.com/')).toBe(
      'https://vm.example.com/#/runs/run-1',
    );
    expect(proposalRunPage(proposal('workflow', [file(1)]), 'https://vm.example.com')).toBeUndefined();
    expect(proposalRunPage(proposal('fix', [file(1)]), undefined)).toBeUndefined();
  });

  it('names them in Discord and Slack messages, with the run page link for a fix', () => {
    const fix = proposal('fix', [file(1)]);
    const discord = renderDiscordReply(fix, { publicUrl: 'https://vm.example.com' })
      .map((message) => message.content)
      .join('\n');
    expect(discord).toContain('Files:\n• scan-1.png (image/png, 2.4 MB)');
    expect(discord).toContain('<https://vm.example.com/#/runs/run-1>');
    const plain = renderDiscordReply(proposal('workflow', [file(2)]))
      .map((message) => message.content)
      .join('\n');
    expect(plain).toContain('• scan-2.png (image/png, 2.4 MB)');
    expect(plain).not.toContain('run page');
    expect(JSON.stringify(renderSlackReply(proposal('workflow', [])).blocks)).not.toContain('Files');
  });
});
