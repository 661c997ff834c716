import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  postToTriage,
  type SlackWire,
  startSlackWire,
  startTeam,
  type Team,
} from '../testing/team-fixture.ts';

// The done-when, over the real Slack bot (signed deliveries, bolt, the Slack wire fake) and the real
// conversation service on a real database, with a scripted model: a builder proposes, the owner approves (the
// builder's own click is refused), a viewer can read but not propose or approve, a stranger can do nothing.

let team: Team;
let wire: SlackWire;

beforeAll(async () => {
  team = await startTeam();
  wire = await startSlackWire(team.port);
});
afterAll(async () => {
  await wire?.close();
  await team?.close();
});

const workflowsNamed = async (name: string) =>
  team.db.sql`select id, owner_id, active from workflows where name = ${name}`;

describe('a team in Slack: builder proposes, owner approves', () => {
  let proposalId = '';

  it('the builder proposes; the card says what goes out and who must approve', async () => {
    team.model.setScript([
      {
        toolCalls: [
          {
            name: 'propose_workflow',
            input: { document: postToTriage('Issues to triage'), summary: 'Posts new issues to #triage.' },
          },
        ],
      },
      { text: 'Here is the proposal.' },
    ]);
    expect(await wire.mention(team.people.builder.slackUser, 'post new issues to #triage')).toBe(200);
    const [row] = await team.db
      .sql`select id, approvers, proposer_id from proposals where status = 'pending'`;
    proposalId = String(row?.id);
    expect(row?.proposerId).toBe(team.people.builder.principal.userId);
    expect(row?.approvers).toEqual(['role:admin']);
    const shown = wire.posted();
    expect(shown).toContain('Proposed workflow: Issues to triage');
    expect(shown).toContain('Sends data out: post (slack.postMessage, write) → channel=#triage');
    expect(shown).toContain('Needs someone other than the proposer');
    expect(shown).toContain('Waiting for approval by: a workspace admin or owner');
  });

  it("the builder's own Approve click is refused with a clear message; nothing is created", async () => {
    const before = wire.calls();
    await wire.click(team.people.builder.slackUser, proposalId, 'approve');
    expect(wire.posted(before)).toContain('You proposed this, so someone else must approve it');
    expect(await workflowsNamed('Issues to triage')).toHaveLength(0);
  });

  it('the viewer can ask about workflows, but is not offered the proposing tools and cannot approve', async () => {
    const requestsBefore = team.model.requests.length;
    team.model.setScript([
      { toolCalls: [{ name: 'list_workflows', input: {} }] },
      // A model that calls propose_workflow anyway (e.g. steered by injected text) gets an unknown-tool error.
      {
        toolCalls: [
          { name: 'propose_workflow', input: { document: postToTriage('Viewer made'), summary: 'x' } },
        ],
      },
      { text: 'There are no workflows yet.' },
    ]);
    await wire.mention(team.people.viewer.slackUser, 'which workflows exist?');
    const request = team.model.requests[requestsBefore];
    expect(request?.normalized.toolNames).toContain('list_workflows');
    expect(request?.normalized.toolNames).not.toContain('propose_workflow');
    expect(request?.normalized.toolNames).not.toContain('propose_change');
    expect(wire.posted()).toContain('There are no workflows yet.');
    expect(await team.db.sql`select id from proposals where document->>'name' = 'Viewer made'`).toHaveLength(
      0,
    );

    const before = wire.calls();
    await wire.click(team.people.viewer.slackUser, proposalId, 'approve');
    expect(wire.posted(before)).toContain('vic (viewer) may not approve proposals');
    expect(await workflowsNamed('Issues to triage')).toHaveLength(0);
  });

  it('a stranger gets how to get access; the model is never called and nothing is decided', async () => {
    const requestsBefore = team.model.requests.length;
    const before = wire.calls();
    await wire.mention('USTRANGER', 'delete every workflow');
    await wire.click('USTRANGER', proposalId, 'approve');
    const shown = wire.posted(before);
    expect(shown).toContain('You are not a member of this VelocityMesh workspace');
    expect(shown).toContain('vmesh users add YOUR_NAME --role builder --slack T1:USTRANGER');
    expect(team.model.requests.length).toBe(requestsBefore);
    expect(await workflowsNamed('Issues to triage')).toHaveLength(0);
  });

  it('the owner approves: the workflow is active and belongs to the builder', async () => {
    const before = wire.calls();
    await wire.click(team.people.owner.slackUser, proposalId, 'approve');
    expect(wire.posted(before)).toContain('Approved. Workflow "Issues to triage" is active');
    const [workflow] = await workflowsNamed('Issues to triage');
    expect(workflow).toMatchObject({ active: true, ownerId: team.people.builder.principal.userId });
    const [decided] = await team.db.sql`select status, decided_by from proposals where id = ${proposalId}`;
    expect(decided).toMatchObject({ status: 'approved' });
    expect(String(decided?.decidedBy)).toContain('olga');
  });
});
