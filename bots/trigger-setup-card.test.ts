// The proposal card tells the person what to configure at the sender: proposed through the agent's tool, shown as
// the conversation service's reply text and as the Slack and Discord bots render it, then after approval.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../access/index.ts';
import {
  createConversationService,
  createRuntimePorts,
  type Reply,
  toProposalReply,
} from '../agent/index.ts';
import { testPrincipal } from '../agent/testing/principals.ts';
import { builtinConnectors } from '../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { AppError } from '../lib/index.ts';
import { loadSystemPrompt } from '../prompts/load-prompts.ts';
import { executeToolCall } from '../tools/index.ts';
import { renderDiscordReply } from './discord/render-discord-reply.ts';
import { renderSlackReply } from './slack/render-slack-reply.ts';

const PUBLIC_URL = 'https://vmesh.example.com';
let db: TestDatabase;
let service: ReturnType<typeof createConversationService>;
let principal: Principal;

beforeAll(async () => {
  db = await createTestDatabase();
  service = createConversationService({
    sql: db.sql,
    provider: new AppError({ code: 'E_CONFIG', message: 'no model in this test' }),
    system: loadSystemPrompt(),
    ...createRuntimePorts({ sql: db.sql, connectors: builtinConnectors }),
    publicUrl: PUBLIC_URL,
  });
  principal = await testPrincipal(db.sql, 'ada', 'owner');
});
afterAll(async () => {
  await db?.drop();
});

let thread = 0;

/** Proposes the document through propose_workflow as the model would, and returns the card the person gets. */
async function propose(
  trigger: Record<string, unknown>,
  nodes: unknown[] = [{ id: 'read', uses: 'core.transform', with: { value: '{{ trigger }}' } }],
) {
  const threadKey = `test:setup:${++thread}`;
  const ctx = await service.toolContextFor(threadKey, principal);
  const document = { schemaVersion: 1, name: `Setup ${thread}`, trigger, nodes };
  const outcome = await executeToolCall(
    service.toolsFor(principal),
    { name: 'propose_workflow', input: { document, summary: 'Does a thing.' } },
    ctx,
  );
  expect(outcome.isError, outcome.content).toBe(false);
  const { proposalId } = outcome.value as { proposalId: string };
  const view = (await service.pendingProposalsFor(principal)).find((pending) => pending.id === proposalId);
  if (!view) throw new Error('the proposal is not pending');
  return toProposalReply(view);
}

const slackText = (reply: Reply) => JSON.stringify(renderSlackReply(reply).blocks);
const discordText = (reply: Reply) =>
  renderDiscordReply(reply)
    .map((message) => message.content)
    .join('\n');

describe('the proposal card says what to configure at the sender', () => {
  it('webhook verify stripe: the URL, the signature header, where the secret comes from, and never the secret', async () => {
    const card = await propose({ type: 'webhook', with: { verify: 'stripe' } });
    expect(card.proposal.setup).toEqual([
      `URL: POST ${PUBLIC_URL}/hooks/<workflow id>`,
      'Signature (verify "stripe"): `Stripe-Signature: t=<timestamp>,v1=<hex>[,v1=…]`',
      "Secret: Stripe shows the endpoint's signing secret (`whsec_…`) after you add it: paste it with `vmesh workflows hook-secret <workflow id> --set` (it is never shown here)",
      'At Stripe: Stripe Dashboard *Developers → Webhooks → Add endpoint*: Endpoint URL = the hook URL, select the events to send',
      'The workflow id is given when you approve (`vmesh workflows list` shows it).',
    ]);
    expect(card.summary).toContain('Setup at the sender:\n- URL: POST https://');
    // Slack escapes < and >; Discord shows the text as it is.
    expect(slackText(card)).toContain(`URL: POST ${PUBLIC_URL}/hooks/&lt;workflow id&gt;`);
    expect(discordText(card)).toContain('- Signature (verify "stripe"): `Stripe-Signature');

    const approved = await service.decide({ proposalId: card.proposal.id, decision: 'approve', principal });
    const text = approved.map((reply) => (reply.type === 'text' ? reply.text : '')).join('\n');
    const id = /id (wf_[A-Za-z0-9_-]+)/.exec(text)?.[1];
    expect(id).toBeDefined();
    expect(text).toContain(`- URL: POST ${PUBLIC_URL}/hooks/${id}\n`);
    expect(text).toContain(`vmesh workflows hook-secret ${id} --set`);
    const [row] = await db.sql`select hook_secret from workflows where id = ${id ?? ''}`;
    expect(String(row?.hookSecret).length).toBeGreaterThan(10);
    expect(text).not.toContain(String(row?.hookSecret));
  });

  it('a change shows the setup only when it asks something new of the sender, with the workflow id', async () => {
    const card = await propose({ type: 'webhook', with: { verify: 'stripe' } });
    const approved = await service.decide({ proposalId: card.proposal.id, decision: 'approve', principal });
    const text = approved.map((reply) => (reply.type === 'text' ? reply.text : '')).join('\n');
    const workflowId = /id (wf_[A-Za-z0-9_-]+)/.exec(text)?.[1] ?? '';
    const change = async (patch: unknown[]) => {
      const ctx = await service.toolContextFor(`test:setup:change:${++thread}`, principal);
      const outcome = await executeToolCall(
        service.toolsFor(principal),
        { name: 'propose_change', input: { workflowId, patch, summary: 'Changes a thing.' } },
        ctx,
      );
      expect(outcome.isError, outcome.content).toBe(false);
      const { proposalId } = outcome.value as { proposalId: string };
      const view = (await service.pendingProposalsFor(principal)).find(
        (pending) => pending.id === proposalId,
      );
      if (!view) throw new Error('the change is not pending');
      return toProposalReply(view);
    };
    const sameSender = await change([{ op: 'replace', path: '/nodes/0/with/value', value: 'other' }]);
    expect(sameSender.proposal.setup).toEqual([]);
    expect(sameSender.summary).not.toContain('Setup at the sender');
    const newSender = await change([{ op: 'replace', path: '/trigger/with/verify', value: 'github' }]);
    expect(newSender.proposal.setup[0]).toBe(`URL: POST ${PUBLIC_URL}/hooks/${workflowId}`);
    expect(newSender.proposal.setup[1]).toBe(
      'Signature (verify "github"): `X-Hub-Signature-256: sha256=<hex>`',
    );
    expect(newSender.summary).not.toContain('given when you approve');
  });

  it('webhook verify token and hmac: the token URL form, the header and algorithm', async () => {
    const token = await propose({ type: 'webhook', with: { verify: 'token' } });
    expect(token.proposal.setup[0]).toBe(`URL: POST ${PUBLIC_URL}/hooks/<workflow id>/<hook secret>`);
    const hmac = await propose({
      type: 'webhook',
      with: {
        verify: 'hmac',
        header: 'X-Signature',
        algorithm: 'sha512',
        encoding: 'base64',
        prefix: 'sha512=',
      },
    });
    expect(hmac.proposal.setup[1]).toBe(
      'Signature (verify "hmac"): `X-Signature` starting with `sha512=` (HMAC-SHA512 of the raw body, base64)',
    );
  });

  it('a GitHub webhook trigger: the hook URL, the hook secret, the events to send and the filters', async () => {
    const card = await propose({ type: 'github.issueOpened', with: { repository: 'octo-org/hello-world' } });
    expect(card.proposal.setup).toEqual([
      `URL: POST ${PUBLIC_URL}/hooks/<workflow id> (add it as a webhook at github, content type application/json)`,
      "Secret: the workflow's hook secret as the webhook's secret (GET /api/workflows/<workflow id> shows it to the owner; it is never shown here)",
      'Events to send: Issues',
      'Only deliveries matching repository "octo-org/hello-world" start a run (checked here).',
      'The workflow id is given when you approve (`vmesh workflows list` shows it).',
    ]);
    expect(discordText(card)).toContain('- Events to send: Issues');
  });

  it('a Slack event trigger names the app subscription; core.wait says its URL comes at run time', async () => {
    const slack = await propose({ type: 'slack.messagePosted', with: { channel: '#ops' } });
    expect(slack.proposal.setup).toEqual([
      'Delivered by the slack front-end (bots/README.md), nothing per workflow: its app must be subscribed to message.channels, message.groups.',
    ]);
    const wait = await propose({ type: 'manual' }, [{ id: 'signed', uses: 'core.wait', with: {} }]);
    expect(wait.proposal.setup).toEqual([
      'Step signed waits for a call to its one-time resume URL (POST /resume/<token>), issued at run time: once it waits, POST /api/runs/<run id>/steps/signed/resume-url gives it; hand it to the system that resumes the run.',
    ]);
  });

  it('schedule, manual, chat and workflow.failed need nothing outside: no setup part on the card', async () => {
    for (const trigger of [
      { type: 'schedule', cron: '0 9 * * 1-5' },
      { type: 'manual' },
      { type: 'chat' },
      { type: 'workflow.failed' },
    ]) {
      const card = await propose(trigger);
      expect(card.proposal.setup, trigger.type).toEqual([]);
      expect(card.summary).not.toContain('Setup at the sender');
      expect(slackText(card)).not.toContain('Setup at the sender');
    }
  });
});
