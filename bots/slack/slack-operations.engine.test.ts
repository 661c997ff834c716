import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinConnectors } from '../../connectors/index.ts';
import {
  createEngineServices,
  type EngineServices,
  type EngineWorker,
  type WorkflowDocument,
  waitForRun,
} from '../../runtime/index.ts';
import { type SlackWire, startSlackWire, startTeam, type Team } from '../testing/team-fixture.ts';

// Everything after "Approve", said in Slack: signed deliveries into the real bolt app, the real conversation
// service and tools (a scripted model picks the tool, as a real one would), the real engine worker running what
// the tools start, on a real Postgres. Proposals are approved with the card's button.

let team: Team;
let wire: SlackWire;
let engine: EngineServices;
let worker: EngineWorker;

beforeAll(async () => {
  team = await startTeam();
  wire = await startSlackWire(team.port);
  engine = await createEngineServices(
    { sql: team.db.sql, url: team.db.url, kind: 'external', close: async () => {} },
    { env: { VMESH_SECRET_KEY: Buffer.alloc(32, 3).toString('base64') }, connectors: builtinConnectors },
  );
  worker = await engine.startWorker({ concurrency: 2 });
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await wire?.close();
  await team?.close();
});

const limits = (code: string) =>
  ({
    schemaVersion: 1,
    name: 'limits',
    trigger: { type: 'manual' },
    nodes: [
      { id: 'check', uses: 'core.code', retry: { maxAttempts: 1 }, with: { code, input: '{{ trigger.n }}' } },
    ],
    edges: [],
  }) as unknown as WorkflowDocument;
const STRICT = 'if (input > 5) throw new Error("too big: " + input); return input * 2';

type Said = { result: Record<string, unknown>; posted: string };

/**
 * Olga (the workspace owner) mentions the bot; the model calls `tool` with `input`, then answers with what
 * `answer` makes of the tool's result. Returns that result and everything the bot posted in Slack for the turn.
 */
async function say(
  text: string,
  tool: string,
  input: Record<string, unknown>,
  answer: (result: Record<string, unknown>) => string = (result) => `Done: ${JSON.stringify(result)}`,
): Promise<Said> {
  const said = await sayAs('owner', text, tool, input, answer);
  expect(said.refused).toBe('');
  return said;
}

async function sayAs(
  who: keyof Team['people'],
  text: string,
  tool: string,
  input: Record<string, unknown>,
  answer: (result: Record<string, unknown>) => string = (result) => `Done: ${JSON.stringify(result)}`,
): Promise<Said & { refused: string }> {
  let result: Record<string, unknown> = {};
  let refused = '';
  team.model.setScript([
    { toolCalls: [{ name: tool, input }] },
    (request) => {
      const content = request.toolResults[0]?.content ?? '';
      if (content.startsWith('ERROR:')) refused = content;
      else result = JSON.parse(content) as Record<string, unknown>;
      return { text: answer(result) };
    },
  ]);
  const before = wire.calls();
  expect(await wire.mention(team.people[who].slackUser, text)).toBe(200);
  return { result, refused, posted: wire.posted(before) };
}

/** The newest pending proposal, approved with its Slack button; returns what the bot posted back. */
async function approveFromSlack(): Promise<string> {
  const [row] = await team.db
    .sql`select id from proposals where status = 'pending' order by created_at desc limit 1`;
  expect(row).toBeDefined();
  const before = wire.calls();
  expect(await wire.click(team.people.owner.slackUser, String(row?.id), 'approve')).toBe(200);
  return wire.posted(before);
}

const workflowRow = async (id: string) =>
  (await team.db.sql`select name, active, current_version, deleted_at from workflows where id = ${id}`)[0];

describe('operating a workflow from Slack', () => {
  it('run now, why it failed, recent failures, fix, retry one, retry all, roll back, pause, resume, cancel, rename, delete', async () => {
    const { id } = await engine.workflows.create(
      limits(STRICT),
      { ownerId: team.people.owner.principal.userId, ownerRef: 'olga' },
      { activate: true },
    );

    // Run now, with input.
    const ran = await say('run limits with n=3', 'run_workflow', { workflowId: id, input: { n: 3 } });
    expect(await waitForRun(team.db.sql, String(ran.result.runId), { timeoutMs: 30_000 })).toMatchObject({
      status: 'succeeded',
      output: 6,
    });
    expect(ran.posted).toContain(String(ran.result.runId));

    // Three runs fail the same way.
    const failed: string[] = [];
    for (const n of [6, 7, 8]) {
      const started = await say(`run limits with n=${n}`, 'run_workflow', { workflowId: id, input: { n } });
      const view = await waitForRun(team.db.sql, String(started.result.runId), { timeoutMs: 30_000 });
      expect(view.status).toBe('failed');
      failed.push(view.runId);
    }

    // Show a run and why it failed.
    const shown = await say('why did that run fail?', 'get_run', { runId: failed[0] }, (run) => {
      const failure = run.failure as { step: string; code: string; message: { data: string }; group: string };
      return `Run ${String(run.id)} ${String(run.status)} at step ${failure.step} (${failure.code}): ${failure.message.data} [group ${failure.group}]`;
    });
    expect(shown.posted).toContain(
      `Run ${failed[0]} failed at step check (E_CODE_ERROR): core.code threw (line 1, column 31): too big: 6`,
    );

    // List recent failures: one group of three.
    const listed = await say('what failed recently?', 'list_failed_runs', {}, (answer) => {
      const groups = answer.groups as Array<{ group: string; runs: number }>;
      const failures = answer.failures as Array<{ runId: string }>;
      return `${failures.length} failed runs (${failures.map((f) => f.runId).join(', ')}); groups: ${groups.map((g) => `${g.group} ×${g.runs}`).join(', ')}`;
    });
    const groups = listed.result.groups as Array<{ group: string; runs: number }>;
    expect(groups).toEqual([{ group: expect.stringMatching(/^[0-9a-f]{32}$/), workflowId: id, runs: 3 }]);
    const group = String(groups[0]?.group);
    expect(listed.posted).toContain(`3 failed runs`);
    expect(listed.posted).toContain(`${group} ×3`);
    expect(shown.posted).toContain(`[group ${group}]`);
    for (const runId of failed) expect(listed.posted).toContain(runId);

    // A fix, proposed and approved from its card: the card shows the change.
    const fix = await say('allow bigger numbers', 'propose_change', {
      workflowId: id,
      patch: [{ op: 'replace', path: '/nodes/0/with/code', value: 'return input * 2' }],
      summary: 'Accept any number.',
    });
    expect(fix.posted).toContain('Changes from the current version (1):');
    expect(fix.posted).toContain('replace /nodes/0/with/code → "return input * 2"');
    expect(await approveFromSlack()).toContain('Approved');
    expect((await workflowRow(id))?.currentVersion).toBe(2);

    // Retry one failed run at once, then all the others that failed the same way.
    const one = await say('retry the first one', 'retry_run', { runId: failed[0] });
    expect(one.result).toMatchObject({ runId: failed[0], mode: 'from-failed-step' });
    expect(await waitForRun(team.db.sql, String(failed[0]), { timeoutMs: 30_000 })).toMatchObject({
      status: 'succeeded',
      version: 2,
      output: 12,
    });
    const all = await say(
      'retry all the runs that failed like that',
      'retry_failed_runs',
      { group },
      (answer) => {
        const retried = answer.retried as Array<{ runId: string }>;
        return `Retried ${retried.length} runs: ${retried.map((run) => run.runId).join(', ')}`;
      },
    );
    expect(all.result).toMatchObject({ group, notRetried: [], more: false });
    expect(all.posted).toContain('Retried 2 runs');
    for (const [index, runId] of failed.slice(1).entries()) {
      expect(await waitForRun(team.db.sql, String(runId), { timeoutMs: 30_000 })).toMatchObject({
        status: 'succeeded',
        version: 2,
        output: (7 + index) * 2,
      });
    }

    // Roll back: a proposal with the diff, approved from its card.
    const rollback = await say('undo that change', 'rollback_workflow', {
      workflowId: id,
      summary: 'Back to v1.',
    });
    expect(rollback.posted).toContain('Changes from the current version (1):');
    expect(rollback.posted).toContain('Proposed change: limits');
    expect(rollback.posted).toContain('replace /nodes/0/with/code → "if (input &gt; 5) throw new Error(');
    expect((await workflowRow(id))?.currentVersion).toBe(2);
    await approveFromSlack();
    const [current] = await team.db.sql`
      select v.version, v.document->'nodes'->0->'with'->>'code' as code from workflows w
      join workflow_versions v on v.workflow_id = w.id and v.version = w.current_version where w.id = ${id}`;
    expect(current).toMatchObject({ version: 3, code: STRICT });

    // Pause at once; resume is a proposal, approved from its card.
    await say('pause limits', 'pause_workflow', { workflowId: id });
    expect((await workflowRow(id))?.active).toBe(false);
    const resume = await say('turn it back on', 'resume_workflow', { workflowId: id });
    expect(resume.posted).toContain('Proposed: resume workflow');
    expect((await workflowRow(id))?.active).toBe(false);
    await approveFromSlack();
    expect((await workflowRow(id))?.active).toBe(true);

    // Cancel a waiting run.
    const waits = await engine.workflows.create(
      {
        schemaVersion: 1,
        name: 'waits',
        trigger: { type: 'manual' },
        nodes: [{ id: 'w', uses: 'core.wait', with: {} }],
        edges: [],
      } as unknown as WorkflowDocument,
      { ownerId: team.people.owner.principal.userId, ownerRef: 'olga' },
      { activate: true },
    );
    const started = await say('start waits', 'run_workflow', { workflowId: waits.id });
    const cancelled = await say('cancel it', 'cancel_run', { runId: started.result.runId });
    expect(cancelled.result).toEqual({ runId: started.result.runId, status: 'cancelled' });
    expect(
      (await team.db.sql`select status from runs where id = ${String(started.result.runId)}`)[0]?.status,
    ).toBe('cancelled');

    // Rename at once.
    const renamed = await say('call it "Number limits"', 'rename_workflow', {
      workflowId: id,
      name: 'Number limits',
    });
    expect(renamed.result).toMatchObject({ name: 'Number limits', previousName: 'limits', version: 4 });
    expect(await workflowRow(id)).toMatchObject({ name: 'Number limits', currentVersion: 4 });

    // Delete with a confirmation: nothing goes until the card is approved.
    const remove = await say('delete it', 'delete_workflow', { workflowId: id });
    expect(remove.posted).toContain('Confirm: delete workflow');
    expect((await workflowRow(id))?.deletedAt).toBeNull();
    await approveFromSlack();
    expect((await workflowRow(id))?.deletedAt).not.toBeNull();
    const [decided] = await team.db.sql`
      select status from proposals where kind = 'delete' and workflow_id = ${id}`;
    expect(decided?.status).toBe('approved');
  }, 300_000);

  it("refuses what a person's role does not allow: a viewer may not rename or retry, a builder may not rename the owner's workflow", async () => {
    const { id } = await engine.workflows.create(
      limits(STRICT),
      { ownerId: team.people.owner.principal.userId, ownerRef: 'olga' },
      { activate: true },
    );
    const started = await say('run it with n=9', 'run_workflow', { workflowId: id, input: { n: 9 } });
    const run = await waitForRun(team.db.sql, String(started.result.runId), { timeoutMs: 30_000 });
    expect(run.status).toBe('failed');
    const viewerRename = await sayAs('viewer', 'rename it', 'rename_workflow', {
      workflowId: id,
      name: 'mine',
    });
    expect(viewerRename.refused).toContain('There is no tool named');
    const viewerRetry = await sayAs('viewer', 'retry all', 'retry_failed_runs', { workflowId: id });
    expect(viewerRetry.refused).toContain('There is no tool named');
    const builderRename = await sayAs('builder', 'rename it', 'rename_workflow', {
      workflowId: id,
      name: 'mine',
    });
    expect(builderRename.refused).toContain('only its owner or an admin');
    expect(await workflowRow(id)).toMatchObject({ name: 'limits', currentVersion: 1 });
    expect((await team.db.sql`select status from runs where id = ${run.runId}`)[0]?.status).toBe('failed');
  }, 120_000);
});
