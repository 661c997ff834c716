// The agent's test_workflow tool (called as the model calls it) dry-runs on a simulated start of the trigger.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinConnectors, SIMULATED_FILE } from '../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { AppError } from '../lib/index.ts';
import { loadSystemPrompt } from '../prompts/load-prompts.ts';
import { executeToolCall } from '../tools/index.ts';
import { type ConversationService, createConversationService } from './conversation-service.ts';
import { createRuntimePorts } from './runtime-ports.ts';
import { testPrincipal } from './testing/principals.ts';

let db: TestDatabase;
let service: ConversationService;

beforeAll(async () => {
  db = await createTestDatabase();
  service = createConversationService({
    sql: db.sql,
    provider: new AppError({ code: 'E_CONFIG', message: 'no model in this test' }),
    system: loadSystemPrompt(),
    ...createRuntimePorts({ sql: db.sql, connectors: builtinConnectors }),
    publicUrl: 'https://vmesh.example.com',
  });
});
afterAll(async () => {
  await db?.drop();
});

const DryRun = (value: unknown) =>
  value as {
    ok: boolean;
    trigger: { type: string; simulated: string; verification?: string };
    steps: { id: string; status: string; input?: unknown; output?: unknown }[];
  };

async function testWorkflow(trigger: Record<string, unknown>, value: unknown, triggerData?: unknown) {
  const principal = await testPrincipal(db.sql, 'ada', 'owner');
  const ctx = await service.toolContextFor('test:dry-run', principal);
  const document = {
    schemaVersion: 1,
    name: 'Dry run',
    trigger,
    nodes: [{ id: 'read', uses: 'core.transform', with: { value } }],
  };
  const outcome = await executeToolCall(
    service.toolsFor(principal),
    { name: 'test_workflow', input: { document, ...(triggerData === undefined ? {} : { triggerData }) } },
    ctx,
  );
  expect(outcome.isError, outcome.content).toBe(false);
  return DryRun(outcome.value);
}

describe('test_workflow simulates a delivery of the trigger', () => {
  it('webhook verify stripe: a Stripe-shaped event, the signature check reported as skipped', async () => {
    const report = await testWorkflow(
      { type: 'webhook', with: { verify: 'stripe' } },
      { type: '{{ trigger.body.type }}', id: '{{ trigger.body.id }}', headers: '{{ trigger.headers }}' },
    );
    expect(report.ok).toBe(true);
    expect(report.trigger).toMatchObject({ type: 'webhook' });
    expect(report.trigger.simulated).toContain('Stripe');
    expect(report.trigger.verification).toMatch(/^would verify with stripe: `Stripe-Signature/);
    const output = report.steps[0]?.output as { type: string; id: string; headers: Record<string, string> };
    expect(output.type).toBe('checkout.session.completed');
    expect(output.id).toMatch(/^evt_/);
    expect(Object.keys(output.headers)).not.toContain('stripe-signature');
  });

  it('webhook verify hmac: reports the header and algorithm it would check; default vmesh has a body too', async () => {
    const hmac = await testWorkflow(
      { type: 'webhook', with: { verify: 'hmac', header: 'X-Signature', algorithm: 'sha512' } },
      '{{ trigger.method }}',
    );
    expect(hmac.trigger.verification).toBe(
      'would verify with hmac: X-Signature (HMAC-SHA512 of the raw body); not checked in a dry run',
    );
    expect(hmac.steps[0]?.output).toBe('POST');
    const plain = await testWorkflow({ type: 'webhook' }, '{{ trigger.body.order.id }}');
    expect(plain.trigger.verification).toMatch(/^would verify with vmesh/);
    expect(plain.steps[0]?.output).toBe('ord_1001');
  });

  it('a connector webhook trigger runs on its sample, the vendor signature reported as skipped', async () => {
    const report = await testWorkflow({ type: 'github.issueOpened' }, '{{ trigger.issue.title }}');
    expect(report.trigger).toEqual({
      type: 'github.issueOpened',
      simulated: "a delivery of GitHub issue opened (the trigger's sample)",
      verification: 'would verify the github signature with the hook secret; not checked in a dry run',
    });
    expect(report.steps[0]?.output).toBe('Checkout fails with a 500');
  });

  it('workflow.failed: a failed run of the watched workflow', async () => {
    const report = await testWorkflow(
      { type: 'workflow.failed', with: { workflows: ['wf_watched'] } },
      { id: '{{ trigger.workflow.id }}', code: '{{ trigger.error.code }}' },
    );
    expect(report.trigger.simulated).toBe('a failed run of workflow wf_watched');
    expect(report.steps[0]?.output).toEqual({ id: 'wf_watched', code: 'E_HTTP' });
  });

  it('schedule: the next slot of the cron in its time zone', async () => {
    const report = await testWorkflow(
      { type: 'schedule', cron: '0 9 * * 1-5', timezone: 'Europe/Berlin' },
      '{{ trigger.scheduledAt }}',
    );
    expect(report.trigger.simulated).toBe('the next slot of "0 9 * * 1-5" in Europe/Berlin');
    const slot = new Date(String(report.steps[0]?.output));
    expect(slot.getTime()).toBeGreaterThan(Date.now());
    const berlin = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Berlin',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hour12: false,
    }).format(slot);
    expect(berlin).toMatch(/^(Mon|Tue|Wed|Thu|Fri) 09:00$/);
  });

  it('email.received: the sample message carries a placeholder file for its attachment', async () => {
    const report = await testWorkflow(
      { type: 'email.received', credential: 'inbox', with: { subjectContains: 'Invoice' } },
      '{{ trigger.attachments[0].file }}',
    );
    expect(report.steps[0]?.output).toEqual({
      ...SIMULATED_FILE,
      name: 'invoice-2031-07.pdf',
      contentType: 'application/pdf',
    });
  });

  it('given trigger data wins, and a webhook still says what it would verify', async () => {
    const report = await testWorkflow(
      { type: 'webhook', with: { verify: 'slack' } },
      '{{ trigger.body.text }}',
      { method: 'POST', headers: {}, query: {}, body: { text: 'mine' } },
    );
    expect(report.trigger.simulated).toBe('the trigger data given');
    expect(report.trigger.verification).toMatch(/^would verify with slack: `X-Slack-Request-Timestamp`/);
    expect(report.steps[0]?.output).toBe('mine');
  });
});

describe('draft_workflow names the credential a trigger needs', () => {
  it('email.received bound to an imap credential not stored yet: the command to add it, for the trigger', async () => {
    const principal = await testPrincipal(db.sql, 'ada', 'owner');
    const ctx = await service.toolContextFor('test:trigger-credential', principal);
    const document = {
      schemaVersion: 1,
      name: 'Support inbox',
      trigger: { type: 'email.received', credential: 'support-inbox', with: { subjectContains: 'ticket' } },
      nodes: [{ id: 'read', uses: 'core.transform', with: { value: '{{ trigger.subject }}' } }],
    };
    const outcome = await executeToolCall(
      service.toolsFor(principal),
      { name: 'draft_workflow', input: { document } },
      ctx,
    );
    expect(outcome.isError, outcome.content).toBe(false);
    expect(outcome.value).toMatchObject({
      valid: true,
      missingCredentials: [
        {
          name: 'support-inbox',
          type: 'imap',
          nodes: ['trigger'],
          command: 'vmesh credentials set support-inbox --type imap',
        },
      ],
    });
  });
});
