import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveIdentity } from '../../access/index.ts';
import { builtinConnectors } from '../../connectors/index.ts';
import {
  createEngineServices,
  type EngineServices,
  type EngineWorker,
  startRun,
  type WorkflowDocument,
  waitForRun,
} from '../../runtime/index.ts';
import { startTeam, type Team } from '../testing/team-fixture.ts';
import { createVmeshMcpServer } from './create-mcp-server.ts';

// The new operation tools over MCP: an assistant lists failures, retries a failure group and renames, through the
// real conversation service's tool context (the person's permissions) and a real worker.

let team: Team;
let engine: EngineServices;
let worker: EngineWorker;

beforeAll(async () => {
  team = await startTeam();
  engine = await createEngineServices(
    { sql: team.db.sql, url: team.db.url, kind: 'external', close: async () => {} },
    { env: { VMESH_SECRET_KEY: Buffer.alloc(32, 4).toString('base64') }, connectors: builtinConnectors },
  );
  worker = await engine.startWorker({ concurrency: 2 });
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await team?.close();
});

const checker = (code: string) =>
  ({
    schemaVersion: 1,
    name: 'checker',
    trigger: { type: 'manual' },
    nodes: [
      { id: 'check', uses: 'core.code', retry: { maxAttempts: 1 }, with: { code, input: '{{ trigger.n }}' } },
    ],
    edges: [],
  }) as unknown as WorkflowDocument;

async function clientFor(who: keyof Team['people']): Promise<Client> {
  // The person as an MCP session resolves them (their token's user), so audit entries say via 'mcp'.
  const principal = await resolveIdentity(team.db.sql, 'slack', `T1:${team.people[who].slackUser}`, 'mcp');
  if (!principal) throw new Error(`${who} is not linked`);
  const server = await createVmeshMcpServer({
    conversation: team.port,
    actor: { platform: 'mcp', id: `tok_${who}`, principal },
    defaultThread: `ops-${who}`,
  });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'test-client', version: '0.0.0' });
  await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);
  return client;
}

const bodyOf = (result: Awaited<ReturnType<Client['callTool']>>) =>
  JSON.parse((result.content as { text: string }[])[0]?.text ?? '{}') as Record<string, unknown>;

describe('operation tools over MCP', () => {
  it('lists failures, retries the group on the fixed version and renames; a viewer is offered none of the operations', async () => {
    const { id } = await engine.workflows.create(
      checker('if (input > 5) throw new Error("too big: " + input); return input'),
      { ownerId: team.people.owner.principal.userId, ownerRef: 'olga' },
      { activate: true },
    );
    const failed: string[] = [];
    for (const n of [6, 7]) {
      const { runId } = await startRun(team.db.sql, id, { n }, { triggerType: 'manual' });
      expect((await waitForRun(team.db.sql, runId, { timeoutMs: 30_000 })).status).toBe('failed');
      failed.push(runId);
    }
    const owner = await clientFor('owner');
    const names = (await owner.listTools()).tools.map((tool) => tool.name);
    expect(names).toEqual(
      expect.arrayContaining(['rename_workflow', 'list_failed_runs', 'retry_failed_runs']),
    );

    const listed = bodyOf(await owner.callTool({ name: 'list_failed_runs', arguments: { workflowId: id } }));
    const groups = listed.groups as Array<{ group: string; runs: number }>;
    expect(groups).toEqual([{ group: expect.any(String), workflowId: id, runs: 2 }]);

    await engine.workflows.addVersion(id, checker('return input + 1'), {});
    const retried = bodyOf(
      await owner.callTool({ name: 'retry_failed_runs', arguments: { group: groups[0]?.group } }),
    );
    expect((retried.retried as Array<{ runId: string }>).map((run) => run.runId).sort()).toEqual(
      [...failed].sort(),
    );
    for (const runId of failed)
      expect(await waitForRun(team.db.sql, runId, { timeoutMs: 30_000 })).toMatchObject({
        status: 'succeeded',
        version: 2,
      });

    const renamed = bodyOf(
      await owner.callTool({
        name: 'rename_workflow',
        arguments: { workflowId: id, name: 'Number checker' },
      }),
    );
    expect(renamed).toMatchObject({
      workflowId: id,
      name: 'Number checker',
      previousName: 'checker',
      version: 3,
    });
    const [audit] = await team.db.sql`
      select actor, via from audit_log where subject_id = ${id} and action = 'workflow.renamed'`;
    expect(audit?.via).toBe('mcp');
    await owner.close();

    const viewer = await clientFor('viewer');
    const offered = (await viewer.listTools()).tools.map((tool) => tool.name);
    expect(offered).toContain('list_failed_runs');
    expect(offered).not.toContain('rename_workflow');
    expect(offered).not.toContain('retry_failed_runs');
    await viewer.close();
  }, 180_000);
});
