import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AsanaFake, startAsanaFake } from '../../connectors/asana/fake-server.ts';
import { type JiraFake, startJiraFake } from '../../connectors/jira/fake-server.ts';
import { signJiraPayload } from '../../connectors/jira/triggers/issue-created.ts';
import { type LinearFake, startLinearFake } from '../../connectors/linear/fake-server.ts';
import { signLinearPayload } from '../../connectors/linear/triggers/issue-created.ts';
import { startTrelloFake, type TrelloFake } from '../../connectors/trello/fake-server.ts';
import { startZendeskFake, type ZendeskFake } from '../../connectors/zendesk/fake-server.ts';
import { waitForRun } from '../store/run-store.ts';
import { setHookSecret } from '../triggers/webhook-secrets.ts';
import { type ConnectorEngine, startConnectorEngine } from './testing/connector-engine.ts';

// The issue-#17 connectors of this group (jira, zendesk, linear, trello, asana) through the production path: the built-in connectors, embedded Postgres,
// the real worker and the real HTTP server at VMESH_PUBLIC_URL. A Zendesk poll (zendesk.ticketCreated, backfill)
// files a Jira issue and answers on the ticket; signed Jira and Linear webhooks start runs (Linear's GraphQL
// mutation in the step); trello.cardCreated registers its
// board webhook (Trello's HEAD to the hook URL answered by the server), and asana.taskCreated its project webhook
// (Asana's X-Hook-Secret handshake answered by the server and kept as the hook secret); both fire on signed
// deliveries, refuse forged ones and delete their webhook on deactivation. No credential reaches a run record.

let harness: ConnectorEngine;
let db: ConnectorEngine['db'];
let engine: ConnectorEngine['engine'];
let jira: JiraFake;
let zendesk: ZendeskFake;
let trello: TrelloFake;
let asana: AsanaFake;
let linear: LinearFake;
let publicUrl = '';

beforeAll(async () => {
  [jira, zendesk, trello, asana, linear] = await Promise.all([
    startJiraFake(),
    startZendeskFake(),
    startTrelloFake(),
    startAsanaFake(),
    startLinearFake(),
  ]);
  harness = await startConnectorEngine({
    keySeed: 5,
    baseUrls: {
      jira: jira.url,
      zendesk: zendesk.url,
      trello: trello.url,
      asana: asana.url,
      linear: linear.url,
    },
  });
  ({ db, engine, publicUrl } = harness);
  const { credentials } = harness;
  await credentials.set('jira', 'jira', {
    site: 'https://acme.atlassian.net',
    email: jira.email,
    apiToken: jira.apiToken,
  });
  await credentials.set('zendesk', 'zendesk', {
    subdomain: 'acme',
    email: zendesk.email,
    apiToken: zendesk.apiToken,
  });
  await credentials.set('trello', 'trello', {
    apiKey: trello.apiKey,
    token: trello.token,
    appSecret: trello.appSecret,
  });
  await credentials.set('asana', 'asana', { token: asana.token });
  await credentials.set('linear', 'linear', { apiKey: linear.apiKey });
});

afterAll(async () => {
  await harness?.stop();
  await Promise.all([jira?.close(), zendesk?.close(), trello?.close(), asana?.close(), linear?.close()]);
});

const runsOf = async (workflowId: string) =>
  (await db.sql`select id from runs where workflow_id = ${workflowId} order by created_at`).map((row) =>
    String(row.id),
  );

const storedRecords = (runId: string) => harness.storedRecords(runId);

async function hookSecretOf(workflowId: string): Promise<string> {
  const [row] = await db.sql`select hook_secret from workflows where id = ${workflowId}`;
  return String(row?.hookSecret);
}

const secrets = () => [
  jira.apiToken,
  zendesk.apiToken,
  trello.token,
  trello.apiKey,
  trello.appSecret,
  asana.token,
  linear.apiKey,
];

describe('jira, zendesk, trello and asana through the engine', () => {
  it('a new Zendesk ticket (poll, backfill) files a Jira issue and answers on the ticket; no secret in the run', async () => {
    const [ticket] = zendesk.seed(1, { subject: 'Checkout fails for order 1042', tags: ['bug'] });
    const { id } = await engine.workflows.create(
      {
        schemaVersion: 1,
        name: 'zendesk bugs to jira',
        trigger: {
          type: 'zendesk.ticketCreated',
          credential: 'zendesk',
          with: { query: 'tags:bug', backfill: 1 },
        },
        nodes: [
          {
            id: 'issue',
            uses: 'jira.createIssue',
            credential: 'jira',
            with: {
              projectKey: 'SUP',
              issueType: 'Bug',
              summary: '{{ trigger.subject }}',
              description: 'Zendesk #{{ trigger.id }}',
            },
          },
          {
            id: 'reply',
            uses: 'zendesk.addComment',
            credential: 'zendesk',
            with: {
              ticketId: '{{ trigger.id }}',
              body: 'Filed as {{ steps.issue.output.key }}.',
              public: false,
            },
          },
        ],
        edges: [{ from: 'issue', to: 'reply' }],
      },
      {},
      { activate: true },
    );
    await expect.poll(() => runsOf(id), { timeout: 20_000, interval: 100 }).toHaveLength(1);
    const [runId] = await runsOf(id);
    const view = await waitForRun(db.sql, String(runId), { timeoutMs: 30_000 });
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    const filed = jira.issues().find((issue) => issue.fields.summary === 'Checkout fails for order 1042');
    expect(filed?.fields.issuetype.name).toBe('Bug');
    expect(
      zendesk
        .tickets()
        .find((candidate) => candidate.id === ticket?.id)
        ?.comments.at(-1),
    ).toEqual(expect.objectContaining({ body: `Filed as ${filed?.key}.`, public: false }));
    const stored = await storedRecords(String(runId));
    expect(stored).toContain('Checkout fails for order 1042');
    for (const secret of secrets()) expect(stored).not.toContain(secret);
    await engine.workflows.deactivate(id);
  });

  it('a signed Jira webhook delivery starts a run; a forged one is refused and filters apply', async () => {
    const { id } = await engine.workflows.create(
      {
        schemaVersion: 1,
        name: 'comment on new SUP bugs',
        trigger: { type: 'jira.issueCreated', with: { projects: ['SUP'] } },
        nodes: [
          {
            id: 'ack',
            uses: 'jira.addComment',
            credential: 'jira',
            with: {
              issueKey: '{{ trigger.issue.key }}',
              text: 'Thanks {{ trigger.createdBy.displayName }}, triaging.',
            },
          },
        ],
        edges: [],
      },
      {},
      { activate: true },
    );
    const target = jira.issues()[0];
    const secret = await hookSecretOf(id);
    const body = (project: string) =>
      JSON.stringify({
        timestamp: Date.now(),
        webhookEvent: 'jira:issue_created',
        user: { accountId: '5b10', displayName: 'Ana Silva' },
        issue: {
          id: target?.id,
          key: target?.key,
          self: `${jira.url}/issue/${target?.id}`,
          fields: { summary: 'x', project: { key: project } },
        },
      });
    const deliver = (raw: string, signature: string, delivery: string) =>
      fetch(`${publicUrl}/hooks/${id}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hub-signature': signature,
          'x-atlassian-webhook-identifier': delivery,
        },
        body: raw,
      });
    expect(
      (await deliver(body('SUP'), signJiraPayload(body('SUP'), 'not-the-secret-at-all'), 'd1')).status,
    ).toBe(401);
    const ignored = await deliver(body('ENG'), signJiraPayload(body('ENG'), secret), 'd2');
    expect(ignored.status).toBe(200);
    const raw = body('SUP');
    const accepted = await deliver(raw, signJiraPayload(raw, secret), 'd3');
    expect(accepted.status).toBe(202);
    const { runId } = (await accepted.json()) as { runId: string };
    const view = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    expect(jira.issues()[0]?.comments.length).toBeGreaterThan(0);
    await engine.workflows.deactivate(id);
  });

  it('trello.cardCreated registers its board webhook (HEAD answered), fires on a signed delivery, deletes it on deactivation', async () => {
    expect((await fetch(`${publicUrl}/hooks/wf_nope`, { method: 'HEAD' })).status).toBe(404);
    const { id } = await engine.workflows.create(
      {
        schemaVersion: 1,
        name: 'new trello cards',
        trigger: { type: 'trello.cardCreated', credential: 'trello', with: { boardId: trello.boardId } },
        nodes: [
          {
            id: 'echo',
            uses: 'trello.createCard',
            credential: 'trello',
            with: { listId: trello.doneListId, name: 'Seen: {{ trigger.name }}' },
          },
        ],
        edges: [],
      },
      {},
      { activate: true },
    );
    await expect.poll(() => trello.webhooks().length, { timeout: 20_000, interval: 100 }).toBe(1);
    const webhook = trello.webhooks()[0];
    if (!webhook) throw new Error('no webhook');
    expect(webhook).toMatchObject({ callbackURL: `${publicUrl}/hooks/${id}`, idModel: trello.boardId });
    expect((await fetch(webhook.callbackURL, { method: 'HEAD' })).status).toBe(200);
    expect(await hookSecretOf(id)).toBe(trello.appSecret);

    expect(
      (await trello.deliverCardCreated(webhook, 'Forged', { signature: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' }))
        .status,
    ).toBe(401);
    const delivered = await trello.deliverCardCreated(webhook, 'New lead: Ana');
    expect(delivered.status).toBe(202);
    const { runId } = (await delivered.json()) as { runId: string };
    const view = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    expect(trello.cards().map((card) => card.name)).toContain('Seen: New lead: Ana');
    const stored = await storedRecords(runId);
    for (const secret of secrets()) expect(stored).not.toContain(secret);

    await engine.workflows.deactivate(id);
    await expect.poll(() => trello.webhooks().length, { timeout: 20_000, interval: 100 }).toBe(0);
  });

  it('asana.taskCreated answers the X-Hook-Secret handshake through the server, keeps the secret, fires on signed events', async () => {
    const { id } = await engine.workflows.create(
      {
        schemaVersion: 1,
        name: 'new asana tasks',
        trigger: { type: 'asana.taskCreated', credential: 'asana', with: { projectGid: asana.projectGid } },
        nodes: [
          {
            id: 'read',
            uses: 'asana.getTask',
            credential: 'asana',
            with: { taskGid: '{{ trigger.taskGid }}' },
          },
        ],
        edges: [],
      },
      {},
      { activate: true },
    );
    await expect.poll(() => asana.webhooks().length, { timeout: 20_000, interval: 100 }).toBe(1);
    const webhook = asana.webhooks()[0];
    if (!webhook) throw new Error('no webhook');
    expect(webhook.target).toBe(`${publicUrl}/hooks/${id}`);
    await expect.poll(() => hookSecretOf(id), { timeout: 10_000, interval: 100 }).toBe(webhook.secret);
    const [subscription] =
      await db.sql`select status, handshake_open_until from trigger_subscriptions where workflow_id = ${id}`;
    expect(subscription).toMatchObject({ status: 'active', handshakeOpenUntil: null });

    // Once set up, a handshake from anyone else is refused and the secret stays.
    const forged = await fetch(webhook.target, {
      method: 'POST',
      headers: { 'x-hook-secret': 'attacker-chosen-secret-0123' },
    });
    expect(forged.status).toBe(401);
    expect(forged.headers.get('x-hook-secret')).toBeNull();
    expect(await hookSecretOf(id)).toBe(webhook.secret);

    expect(
      (await asana.deliverTaskAdded(webhook, '1204567890000001', { signature: 'ab'.repeat(32) })).status,
    ).toBe(401);
    const delivered = await asana.deliverTaskAdded(webhook, '1204567890000001');
    expect(delivered.status).toBe(202);
    const { runId } = (await delivered.json()) as { runId: string };
    const view = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    expect(view.steps.find((step) => step.id === 'read')?.output).toEqual({ found: false, task: null });
    const stored = await storedRecords(runId);
    for (const secret of [...secrets(), webhook.secret]) expect(stored).not.toContain(secret);

    await engine.workflows.deactivate(id);
    await expect.poll(() => asana.webhooks().length, { timeout: 20_000, interval: 100 }).toBe(0);
  });

  it('a Linear webhook (signed, fresh timestamp) starts a run whose GraphQL mutation files a follow-up issue', async () => {
    const { id } = await engine.workflows.create(
      {
        schemaVersion: 1,
        name: 'linear urgent follow-up',
        trigger: { type: 'linear.issueCreated', with: { teams: ['ENG'], maxPriority: 1 } },
        nodes: [
          {
            id: 'follow',
            uses: 'linear.createIssue',
            credential: 'linear',
            with: { teamId: linear.teamId, title: 'Post-mortem for {{ trigger.identifier }}', priority: 2 },
          },
        ],
        edges: [],
      },
      {},
      { activate: true },
    );
    const secret = 'lin_wh_signing_secret_0123456789abcdef';
    // What `vmesh workflows hook-secret ID --set` does with the signing secret Linear generated.
    await setHookSecret(db.sql, id, secret);
    const raw = (timestamp: number, priority: number) =>
      JSON.stringify({
        action: 'create',
        type: 'Issue',
        data: {
          id: '2f8e3b8a-5d0e-4e4b-9a57-4a3c1c2e9d10',
          identifier: 'ENG-7',
          title: 'Outage',
          priority,
          team: { key: 'ENG' },
        },
        webhookTimestamp: timestamp,
      });
    const deliver = (body: string, signature: string) =>
      fetch(`${publicUrl}/hooks/${id}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'linear-signature': signature,
          'linear-delivery': `d-${body.length}-${signature.slice(0, 6)}`,
        },
        body,
      });
    const stale = raw(Date.now() - 5 * 60_000, 1);
    expect((await deliver(stale, signLinearPayload(stale, secret))).status).toBe(401);
    const low = raw(Date.now(), 4);
    expect((await deliver(low, signLinearPayload(low, secret))).status).toBe(200);
    const urgent = raw(Date.now(), 1);
    const accepted = await deliver(urgent, signLinearPayload(urgent, secret));
    expect(accepted.status).toBe(202);
    const { runId } = (await accepted.json()) as { runId: string };
    const view = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    expect(linear.issues().map((issue) => issue.title)).toContain('Post-mortem for ENG-7');
    const stored = await storedRecords(runId);
    for (const value of secrets()) expect(stored).not.toContain(value);
    await engine.workflows.deactivate(id);
  });
});
