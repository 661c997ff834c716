import { describe, expect, it } from 'vitest';
import { WorkflowDocument } from '../../runtime/workflow/document.ts';
import { escapeMermaidLabel, toMermaidId, workflowToMermaid } from './workflow-to-mermaid.ts';

const doc = (value: unknown) => WorkflowDocument.parse(value) as WorkflowDocument;

describe('workflowToMermaid', () => {
  it('draws the trigger, nodes, and branch labels', () => {
    const text = workflowToMermaid(
      doc({
        schemaVersion: 1,
        name: 'Bugs',
        trigger: { type: 'webhook' },
        nodes: [
          { id: 'isBug', uses: 'core.if', with: { condition: '{{ true }}' } },
          { id: 'post', uses: 'slack.postMessage', with: {} },
        ],
        edges: [{ from: 'isBug', to: 'post', branch: 'true' }],
      }),
    );
    expect(text).toBe(
      [
        'flowchart TD',
        '  trigger(["Trigger: webhook"])',
        '  n_isBug{"isBug<br/><small>core.if</small>"}',
        '  n_post["post<br/><small>slack.postMessage</small>"]',
        '  trigger --> n_isBug',
        '  n_isBug -->|"true"| n_post',
        '',
      ].join('\n'),
    );
  });

  it('draws a foreach body as a subgraph fed from its loop node', () => {
    const text = workflowToMermaid(
      doc({
        schemaVersion: 1,
        name: 'Each',
        trigger: { type: 'schedule', cron: '0 9 * * 1' },
        nodes: [
          {
            id: 'loop',
            uses: 'core.foreach',
            with: { items: '{{ [1,2] }}' },
            do: { nodes: [{ id: 'send', uses: 'http.request', with: {} }], edges: [] },
          },
        ],
      }),
    );
    expect(text).toContain('trigger(["Trigger: schedule 0 9 * * 1"])');
    expect(text).toContain('  subgraph n_loop__do["for each item of loop"]');
    expect(text).toContain('    n_loop___send["send<br/><small>http.request</small>"]');
    expect(text).toContain('    n_loop -.->|"each"| n_loop___send');
    expect(text).toMatch(/\n {2}end\n/);
  });

  it('escapes labels and ids so user text cannot break the diagram', () => {
    expect(escapeMermaidLabel('say "hi" <b>#1</b>\nnext')).toBe(
      'say #quot;hi#quot; #lt;b#gt;#35;1#lt;/b#gt; next',
    );
    expect(toMermaidId('n', 'end')).toBe('n_end');
    expect(toMermaidId('n', 'a-b')).toBe('n_ax2db');
    const text = workflowToMermaid(
      doc({
        schemaVersion: 1,
        name: 'x',
        trigger: { type: 'manual' },
        nodes: [{ id: 'end', uses: 'core.transform', name: 'Quote "me"]', with: {} }],
        edges: [],
      }),
    );
    expect(text).toContain('n_end["Quote #quot;me#quot;] (end)<br/><small>core.transform</small>"]');
  });
});
