import { describe, expect, it } from 'vitest';
import { approvalSummary, type ProposalView } from '../agent/reply.ts';
import { createRuntimePorts } from '../agent/runtime-ports.ts';
import { builtinConnectors } from '../connectors/index.ts';
import type { WorkflowDocument } from '../runtime/index.ts';
import { describeEffects } from './proposal-effects.ts';

// The approval card: every step that can send data out (declared `read` ones included), targets computed at
// run time flagged with their expression, credentials and their owners, who must approve.

const { catalog } = createRuntimePorts({ sql: undefined as never, connectors: builtinConnectors });

const document = {
  schemaVersion: 1,
  name: 'Summaries',
  trigger: { type: 'webhook' },
  nodes: [
    { id: 'fetch', uses: 'http.request', with: { method: 'GET', url: 'https://new-host.example/data' } },
    {
      id: 'summarize',
      uses: 'llm.generateText',
      credential: 'openai',
      with: { prompt: '{{ steps.fetch.output }}' },
    },
    {
      id: 'tool',
      uses: 'mcp.callTool',
      with: { server: { transport: 'http', url: 'https://mcp.example/mcp' }, tool: 'save' },
    },
    { id: 'forward', uses: 'http.request', with: { method: 'POST', url: '{{ trigger.body.callback }}' } },
    { id: 'shape', uses: 'core.transform', with: { value: 1 } },
    { id: 'child', uses: 'core.subworkflow', with: { workflow: 'wf_child' } },
  ],
  edges: [],
} as unknown as WorkflowDocument;

describe('the approval card', () => {
  it('lists every outbound destination whatever its declared effect, flags computed ones, names sub-workflows', () => {
    const effects = describeEffects(document, null, catalog);
    expect(effects.destinations.map((d) => [d.id, d.effect])).toEqual([
      ['fetch', 'write'],
      ['summarize', 'read'],
      ['tool', 'write'],
      ['forward', 'write'],
    ]);
    expect(effects.destinations.find((d) => d.id === 'forward')?.computed).toEqual([
      { field: 'url', expression: '{{ trigger.body.callback }}' },
    ]);
    expect(effects.destinations.find((d) => d.id === 'tool')?.target).toBe(
      'server.url=https://mcp.example/mcp',
    );
    // Sub-workflow steps are not destinations (the exec part resolves and shows their targets).
    expect(effects.destinations.map((d) => d.id)).not.toContain('child');

    const view = {
      summary: 'Summarizes.',
      status: 'pending',
      effects,
      missingCredentials: [],
      connectedCredentials: [],
      setup: [],
      dryRunOk: true,
      approval: {
        waitingFor: 'olga or a workspace admin or owner',
        proposer: 'bob',
        secondPersonReasons: ['it adds outbound destinations (fetch → url=https://new-host.example/data)'],
        credentialOwners: { openai: "olga's, shared with the workspace" },
      },
    } as unknown as ProposalView;
    const card = approvalSummary(view);
    expect(card).toContain(
      '⚠ Sends data out: summarize (llm.generateText, read) → its connector’s service with credential "openai"',
    );
    expect(card).toContain(
      '⚠ Sends data out: fetch (http.request, write) → url=https://new-host.example/data',
    );
    expect(card).toContain(
      '⚠ Sends data out: forward (http.request, write) → url computed at run time from `{{ trigger.body.callback }}`',
    );
    expect(card).toContain('⚠ Uses credential "openai" (olga\'s, shared with the workspace)');
    expect(card).toContain('Needs someone other than the proposer: it adds outbound destinations');
    expect(card).toContain('Waiting for approval by: olga or a workspace admin or owner.');
  });

  it('a change shows only what is new as new; an unchanged destination is listed without the warning', () => {
    const changed = structuredClone(document) as unknown as {
      nodes: { id: string; with: Record<string, unknown> }[];
    };
    const fetchNode = changed.nodes.find((node) => node.id === 'fetch');
    if (fetchNode) fetchNode.with.url = 'https://other-host.example/data';
    const effects = describeEffects(changed as unknown as WorkflowDocument, document, catalog);
    expect(effects.newDestinations.map((d) => d.id)).toEqual(['fetch']);
  });

  it("says in the action's own words where a new write step writes, for fixed and computed targets", () => {
    const withTodoist = {
      schemaVersion: 1,
      name: 'Tasks',
      trigger: { type: 'webhook' },
      nodes: [
        { id: 'task', uses: 'todoist.createTask', with: { content: 'x', projectId: '6Jf8VQXxpwv56VQ7' } },
        { id: 'tell', uses: 'telegram.sendMessage', with: { chatId: '{{ trigger.body.chat }}', text: 'hi' } },
        { id: 'inbox', uses: 'todoist.createTask', with: { content: 'y' } },
      ],
      edges: [],
    } as unknown as WorkflowDocument;
    const effects = describeEffects(withTodoist, null, catalog);
    expect(effects.newWriteSteps.map((step) => [step.id, step.writesTo])).toEqual([
      ['task', "the Todoist project '6Jf8VQXxpwv56VQ7'"],
      ['tell', "the Telegram chat '{{ trigger.body.chat }}'"],
      ['inbox', "the Todoist project 'Inbox'"],
    ]);
    const card = approvalSummary({
      summary: 'Adds tasks.',
      status: 'pending',
      effects,
      missingCredentials: [],
      connectedCredentials: [],
      setup: [],
    } as unknown as ProposalView);
    expect(card).toContain(
      "⚠ New step that writes outside: task (todoist.createTask) writes to the Todoist project '6Jf8VQXxpwv56VQ7'",
    );
  });
});
