import { describe, expect, it } from 'vitest';
import { credentialNamesOf } from './credential-usage.ts';

describe('credentialNamesOf', () => {
  it('names the credentials of nodes, foreach bodies, the trigger and core.agent tools', () => {
    const names = credentialNamesOf({
      trigger: { type: 'github.issueOpened', credential: 'gh' },
      nodes: [
        { id: 'a', uses: 'slack.postMessage', credential: 'slack', with: { tools: 'not a list' } },
        {
          id: 'agent',
          uses: 'core.agent',
          credential: 'claude',
          with: {
            tools: [
              { uses: 'http.request', credential: 'shop' },
              { workflow: 'wf_x', name: 'x' },
              { mcp: 'docs', server: { transport: 'http', url: 'https://mcp.example.com/mcp' } },
            ],
          },
        },
        { id: 'other', uses: 'acme.run', with: { tools: [{ credential: 'not-a-credential' }] } },
        {
          id: 'each',
          uses: 'core.foreach',
          with: {},
          do: { nodes: [{ id: 'b', uses: 'x.y', credential: 'inner' }] },
        },
      ],
    });
    expect([...names].sort()).toEqual(['claude', 'docs', 'gh', 'inner', 'shop', 'slack']);
  });
});
