import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type CalendlyFake, startCalendlyFake } from '../../connectors/calendly/fake-server.ts';
import { startTwilioFake, type TwilioFake } from '../../connectors/twilio/fake-server.ts';
import { EMPTY_TWIML } from '../../connectors/twilio/triggers/incoming-message.ts';
import { startTypeformFake, type TypeformFake } from '../../connectors/typeform/fake-server.ts';
import { startWhatsappFake, type WhatsappFake } from '../../connectors/whatsapp/fake-server.ts';
import { whatsappVerifyToken } from '../../connectors/whatsapp/triggers/message.ts';
import { waitForRun } from '../store/run-store.ts';
import { type ConnectorEngine, startConnectorEngine } from './testing/connector-engine.ts';

// The messaging and forms connectors through the production path: the real HTTP server's /hooks route, Postgres and
// the worker. Twilio's signed form delivery (X-Twilio-Signature over VMESH_PUBLIC_URL) answered with empty TwiML,
// Typeform's and Calendly's self-registered webhooks, and WhatsApp's GET verify-token handshake and signed delivery;
// each run calls the vendor's fake back, and no credential reaches the run record.

let harness: ConnectorEngine;
let db: ConnectorEngine['db'];
let publicUrl = '';
let twilio: TwilioFake;
let typeform: TypeformFake;
let whatsapp: WhatsappFake;
let calendly: CalendlyFake;

const api = (method: string, path: string, body?: unknown) => harness.api(method, path, body);

async function createActive(document: Record<string, unknown>): Promise<string> {
  const created = await api('POST', '/api/workflows', {
    document: { schemaVersion: 1, edges: [], ...document },
  });
  const id = String(created.id);
  await api('POST', `/api/workflows/${id}/activate`, {});
  return id;
}

/** The run a hook's 202 answer started. */
async function runIdOf(response: Response | undefined): Promise<string> {
  if (!response) throw new Error('no delivery was made');
  return z.object({ runId: z.string() }).parse(await response.json()).runId;
}

const storedRecords = (runId: string) => harness.storedRecords(runId);

beforeAll(async () => {
  [twilio, typeform, whatsapp, calendly] = await Promise.all([
    startTwilioFake(),
    startTypeformFake(),
    startWhatsappFake(),
    startCalendlyFake(),
  ]);
  harness = await startConnectorEngine({
    keySeed: 7,
    baseUrls: { twilio: twilio.url, typeform: typeform.url, whatsapp: whatsapp.url, calendly: calendly.url },
  });
  ({ db, publicUrl } = harness);
  const { credentials } = harness;
  await credentials.set('twilio', 'twilio', { accountSid: twilio.accountSid, authToken: twilio.authToken });
  await credentials.set('typeform', 'typeform', { token: typeform.token });
  await credentials.set('calendly', 'calendly', { token: calendly.token });
  await credentials.set('whatsapp', 'whatsapp', {
    accessToken: whatsapp.accessToken,
    phoneNumberId: whatsapp.phoneNumberId,
  });
});

afterAll(async () => {
  await harness?.stop();
  await Promise.all([twilio?.close(), typeform?.close(), whatsapp?.close(), calendly?.close()]);
});

describe('twilio, typeform, whatsapp and calendly triggers and actions through the engine', () => {
  it('twilio.incomingMessage: a signed SMS runs twilio.sendMessage; Twilio gets empty TwiML', async () => {
    const id = await createActive({
      name: 'sms status bot',
      trigger: { type: 'twilio.incomingMessage', with: { keywords: ['STATUS'] } },
      nodes: [
        {
          id: 'answer',
          uses: 'twilio.sendMessage',
          credential: 'twilio',
          with: {
            to: '{{ trigger.from }}',
            from: '{{ trigger.to }}',
            body: 'Order {{ trigger.body }}: shipped.',
          },
        },
      ],
    });
    // The hook secret of a Twilio trigger is the account's auth token (Twilio signs with it).
    await api('PUT', `/api/workflows/${id}/hook-secret`, { secret: twilio.authToken });
    const hookUrl = `${publicUrl}/hooks/${id}`;
    const params = {
      MessageSid: 'SM1f0e8ae6ade43cb3c0ce4525424e404f',
      AccountSid: twilio.accountSid,
      From: '+14155550100',
      To: '+14155550199',
      Body: 'STATUS 1042',
      NumMedia: '0',
    };
    const forged = await twilio.deliverIncoming(hookUrl, params, { authToken: 'f'.repeat(32) });
    expect(forged.status).toBe(401);
    const ignored = await twilio.deliverIncoming(hookUrl, { ...params, MessageSid: 'SM2', Body: 'hello' });
    expect(ignored.status).toBe(200);
    expect(await ignored.text()).toBe(EMPTY_TWIML);
    expect(ignored.headers.get('x-vmesh-run-id')).toBeNull();

    const delivered = await twilio.deliverIncoming(hookUrl, params);
    expect(delivered.status).toBe(200);
    expect(delivered.headers.get('content-type')).toContain('text/xml');
    expect(await delivered.text()).toBe(EMPTY_TWIML);
    const runId = String(delivered.headers.get('x-vmesh-run-id'));
    const view = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    expect(twilio.messages().at(-1)).toMatchObject({
      to: '+14155550100',
      from: '+14155550199',
      body: 'Order STATUS 1042: shipped.',
    });
    const stored = await storedRecords(runId);
    expect(stored).toContain('STATUS 1042');
    expect(stored).not.toContain(twilio.authToken);
    expect(stored).not.toContain(Buffer.from(`${twilio.accountSid}:${twilio.authToken}`).toString('base64'));
    // A POST-only trigger answers no GET check.
    expect((await fetch(hookUrl)).status).toBe(404);
  });

  it('typeform.responseSubmitted: registers its webhook on activation, runs on a signed submission, removes it', async () => {
    const id = await createActive({
      name: 'typeform signup',
      trigger: {
        type: 'typeform.responseSubmitted',
        credential: 'typeform',
        with: { formId: typeform.formId, hidden: { source: 'newsletter' } },
      },
      nodes: [
        {
          id: 'text',
          uses: 'twilio.sendMessage',
          credential: 'twilio',
          with: { to: '+14155550100', from: '+14155550199', body: 'New signup: {{ trigger.values.name }}' },
        },
      ],
    });
    await expect
      .poll(() => typeform.webhooks(typeform.formId).map((hook) => hook.url), {
        timeout: 20_000,
        interval: 50,
      })
      .toEqual([`${publicUrl}/hooks/${id}`]);
    expect(typeform.webhooks()[0]?.secret).toMatch(/^[0-9a-f]{64}$/);

    const [filteredOut] = await typeform.submit([{ ref: 'name', text: 'Bob' }], { source: 'ads' });
    expect(filteredOut?.status).toBe(200);
    const [accepted] = await typeform.submit(
      [
        { ref: 'name', text: 'Ana' },
        { ref: 'email', text: 'ana@example.com' },
      ],
      { source: 'newsletter' },
    );
    expect(accepted?.status).toBe(202);
    const runId = await runIdOf(accepted);
    const view = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    expect(twilio.messages().at(-1)?.body).toBe('New signup: Ana');
    const stored = await storedRecords(runId);
    expect(stored).not.toContain(typeform.token);
    expect(stored).not.toContain(String(typeform.webhooks()[0]?.secret));

    await api('POST', `/api/workflows/${id}/deactivate`, {});
    await expect
      .poll(() => typeform.webhooks(typeform.formId), { timeout: 20_000, interval: 50 })
      .toEqual([]);
  });

  it('whatsapp.message: answers Meta’s GET check, runs whatsapp.sendText on a signed message', async () => {
    const id = await createActive({
      name: 'whatsapp echo',
      trigger: { type: 'whatsapp.message', with: { types: ['text'] } },
      nodes: [
        {
          id: 'reply',
          uses: 'whatsapp.sendText',
          credential: 'whatsapp',
          with: {
            to: '{{ trigger.from }}',
            text: 'You wrote: {{ trigger.text }}',
            replyTo: '{{ trigger.messageId }}',
          },
        },
      ],
    });
    await api('PUT', `/api/workflows/${id}/hook-secret`, { secret: whatsapp.appSecret });
    const hookUrl = `${publicUrl}/hooks/${id}`;
    const check = await whatsapp.verifyCallback(hookUrl, whatsappVerifyToken(whatsapp.appSecret));
    expect(check.status).toBe(200);
    expect(check.body).toBe(check.challenge);
    expect((await whatsapp.verifyCallback(hookUrl, 'not-the-token')).status).toBe(403);

    expect((await whatsapp.deliver(hookUrl, 'hello', { secret: 'wrong-app-secret' })).status).toBe(401);
    const delivered = await whatsapp.deliver(hookUrl, 'Where is order 1042?');
    expect(delivered.status).toBe(202);
    const runId = await runIdOf(delivered);
    const view = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    const sent = whatsapp.sent(whatsapp.customer).at(-1);
    expect(sent?.body).toMatchObject({
      type: 'text',
      text: { body: 'You wrote: Where is order 1042?' },
      context: { message_id: expect.stringMatching(/^wamid\.in/) },
    });
    const stored = await storedRecords(runId);
    expect(stored).not.toContain(whatsapp.accessToken);
    expect(stored).not.toContain(whatsapp.appSecret);
  });

  it('calendly.inviteeCreated: subscribes on activation, a signed booking lists the day’s meetings, unsubscribes', async () => {
    calendly.seed(3);
    const id = await createActive({
      name: 'calendly booking',
      trigger: { type: 'calendly.inviteeCreated', credential: 'calendly', with: { scope: 'user' } },
      nodes: [
        { id: 'meetings', uses: 'calendly.listScheduledEvents', credential: 'calendly', with: { limit: 10 } },
      ],
    });
    await expect
      .poll(() => calendly.subscriptions().map((item) => item.callback_url), {
        timeout: 20_000,
        interval: 50,
      })
      .toEqual([`${publicUrl}/hooks/${id}`]);
    // Signed too long ago: outside Calendly's tolerance.
    const [stale] = await calendly.book(
      { name: 'Bob', email: 'bob@example.com' },
      { signedAt: Date.now() - 600_000 },
    );
    expect(stale?.status).toBe(401);
    const [booked] = await calendly.book({ name: 'Ana Lima', email: 'ana@example.com' });
    expect(booked?.status).toBe(202);
    const runId = await runIdOf(booked);
    const view = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    const [row] = await db.sql`select output from steps where run_id = ${runId} and node_id = 'meetings'`;
    expect(JSON.stringify(row?.output)).toContain('Intro call');
    const stored = await storedRecords(runId);
    expect(stored).toContain('ana@example.com');
    expect(stored).not.toContain(calendly.token);
    expect(stored).not.toContain(String(calendly.subscriptions()[0]?.signing_key));

    await api('POST', `/api/workflows/${id}/deactivate`, {});
    await expect.poll(() => calendly.subscriptions(), { timeout: 20_000, interval: 50 }).toEqual([]);
  });
});
