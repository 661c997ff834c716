import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { twilioConnector } from './connector.ts';
import { startTwilioFake, type TwilioFake, twilioError } from './fake-server.ts';
import { signTwilioRequest } from './signature.ts';
import { EMPTY_TWIML, incomingMessage, parseTwilioMessage } from './triggers/incoming-message.ts';

let fake: TwilioFake;
let env: ReturnType<typeof createTestEnvironment>;
const credential = () => ({ accountSid: fake.accountSid, authToken: fake.authToken });

beforeAll(async () => {
  fake = await startTwilioFake();
  env = createTestEnvironment({ twilio: fake.url });
});
afterAll(async () => {
  await fake.close();
});

const run = (key: string, input: unknown, options: { credential?: unknown } = {}) =>
  runAction(twilioConnector, key, input, { env, credential: credential(), ...options });
const runError = (key: string, input: unknown, options: { credential?: unknown } = {}) =>
  runActionError(twilioConnector, key, input, { env, credential: credential(), ...options });

describe('twilio connector against the REST API fake', () => {
  it('sends an SMS as a form to the account’s Messages.json with basic auth', async () => {
    const sent = await run('sendMessage', {
      to: '+14155550100',
      from: '+14155550199',
      body: 'Order 1042 has shipped.',
      statusCallback: 'https://vmesh.example.com/hooks/wf_status',
    });
    expect(sent).toMatchObject({ sid: expect.stringMatching(/^SM/), status: 'queued', segments: 1 });
    const request = fake.requests.at(-1);
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe(`/2010-04-01/Accounts/${fake.accountSid}/Messages.json`);
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request?.headers.authorization).toBe(
      `Basic ${Buffer.from(`${fake.accountSid}:${fake.authToken}`).toString('base64')}`,
    );
    expect(request?.body).toEqual({
      To: '+14155550100',
      From: '+14155550199',
      Body: 'Order 1042 has shipped.',
      StatusCallback: 'https://vmesh.example.com/hooks/wf_status',
    });
  });

  it('sends WhatsApp with the whatsapp: prefix, media and a template, with an API key', async () => {
    await run(
      'sendMessage',
      {
        channel: 'whatsapp',
        to: '+14155550100',
        from: '+14155550199',
        contentSid: `HX${'a'.repeat(32)}`,
        contentVariables: { 1: 'Ana' },
        mediaUrls: ['https://example.com/a.jpg', 'https://example.com/b.jpg'],
      },
      {
        credential: {
          accountSid: fake.accountSid,
          apiKeySid: fake.apiKeySid,
          apiKeySecret: fake.apiKeySecret,
        },
      },
    );
    expect(fake.messages().at(-1)).toMatchObject({
      to: 'whatsapp:+14155550100',
      from: 'whatsapp:+14155550199',
      mediaUrls: ['https://example.com/a.jpg', 'https://example.com/b.jpg'],
      contentVariables: '{"1":"Ana"}',
    });
    expect(fake.requests.at(-1)?.headers.authorization).toBe(
      `Basic ${Buffer.from(`${fake.apiKeySid}:${fake.apiKeySecret}`).toString('base64')}`,
    );
  });

  it('places a call with inline TwiML', async () => {
    const call = await run('makeCall', {
      to: '+14155550100',
      from: '+14155550199',
      twiml: '<Response><Say>Your table is ready.</Say></Response>',
      timeoutSeconds: 30,
    });
    expect(call).toMatchObject({ sid: expect.stringMatching(/^CA/), status: 'queued' });
    expect(fake.requests.at(-1)?.path).toBe(`/2010-04-01/Accounts/${fake.accountSid}/Calls.json`);
    expect(fake.requests.at(-1)?.body).toEqual({
      To: '+14155550100',
      From: '+14155550199',
      Twiml: '<Response><Say>Your table is ready.</Say></Response>',
      Timeout: '30',
    });
    expect(await runError('makeCall', { to: '+14155550100', from: '+14155550199' })).toMatchObject({
      code: 'E_PARAMS',
    });
    // Text to read aloud is escaped: a value from a trigger cannot add TwiML verbs.
    await run('makeCall', {
      to: '+14155550100',
      from: '+14155550199',
      say: 'Hi </Say><Dial>+19005550100</Dial><Say>',
      language: 'en-GB',
    });
    expect(fake.calls().at(-1)?.twiml).toBe(
      '<Response><Say language="en-GB">Hi &lt;/Say&gt;&lt;Dial&gt;+19005550100&lt;/Dial&gt;&lt;Say&gt;</Say></Response>',
    );
    expect(twilioConnector.actions.find((action) => action.key === 'makeCall')?.literalInputs).toEqual([
      'twiml',
    ]);
  });

  it('maps Twilio’s error body to a clear error with a hint', async () => {
    const error = await runError('sendMessage', { to: '+14155550100', from: '+14155550111', body: 'hi' });
    expect(error).toMatchObject({ code: 'E_REQUEST', status: 400, retryable: false });
    expect((error as Error).message).toContain('not a valid, SMS-capable');
    expect((error as { details?: { vendorCode?: string } }).details?.vendorCode).toBe('21606');
    expect((error as { hint: string }).hint).toContain('SMS-capable');
  });

  it('a 429 (code 20429) with Retry-After is retryable after the wait', async () => {
    fake.fail('POST Messages.json', {
      status: 429,
      headers: { 'retry-after': '3' },
      body: twilioError(429, 20429, 'Too Many Requests'),
    });
    expect(
      await runError('sendMessage', { to: '+14155550100', from: '+14155550199', body: 'hi' }),
    ).toMatchObject({
      code: 'E_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 3000,
    });
  });

  it('tests the credential, and a rotated Auth Token is E_AUTH with what to do; no secret in the error', async () => {
    const client = twilioConnector.createClient({ credential: credential(), env });
    expect(
      await twilioConnector.testCredential?.({
        credential: credential(),
        client,
        signal: AbortSignal.timeout(5000),
      }),
    ).toContain('My first Twilio account');
    const stale = credential();
    fake.revoke();
    const error = await runError(
      'sendMessage',
      { to: '+14155550100', from: '+14155550199', body: 'hi' },
      {
        credential: stale,
      },
    );
    expect(error).toMatchObject({ code: 'E_AUTH', status: 401 });
    expect((error as { hint: string }).hint).toContain('--type twilio');
    expect(
      JSON.stringify({ message: (error as Error).message, hint: (error as { hint: string }).hint }),
    ).not.toContain(stale.authToken);
  });

  it('verifies X-Twilio-Signature over the public URL and sorted form, parses and filters incoming messages', () => {
    if (incomingMessage.kind !== 'webhook') throw new Error('webhook trigger expected');
    const url = 'https://vmesh.example.com/hooks/wf_sms?x=1';
    const params: [string, string][] = [
      ['MessageSid', 'SM1f0e8ae6ade43cb3c0ce4525424e404f'],
      ['AccountSid', fake.accountSid],
      ['From', 'whatsapp:+14155550100'],
      ['To', 'whatsapp:+14155550199'],
      ['Body', 'status 1042'],
      ['NumMedia', '1'],
      ['MediaUrl0', 'https://api.twilio.com/media/ME1'],
      ['MediaContentType0', 'image/jpeg'],
      ['ProfileName', 'Ana'],
    ];
    const rawBody = Buffer.from(new URLSearchParams(params).toString());
    const token = 'f'.repeat(32);
    const delivery = (signature: string, at = url) => ({
      headers: { 'x-twilio-signature': signature, 'content-type': 'application/x-www-form-urlencoded' },
      rawBody,
      body: rawBody.toString(),
      url: at,
    });
    const good = signTwilioRequest(token, url, params);
    expect(incomingMessage.verify(delivery(good), token)).toBe(true);
    expect(incomingMessage.verify(delivery(good), 'e'.repeat(32))).toBe(false);
    expect(incomingMessage.verify(delivery(good, 'https://other.example.com/hooks/wf_sms?x=1'), token)).toBe(
      false,
    );
    expect(
      incomingMessage.verify({ ...delivery(good), rawBody: Buffer.from(`${rawBody}&Body=x`) }, token),
    ).toBe(false);
    expect(incomingMessage.verify({ ...delivery(good), url: undefined }, token)).toBe(false);
    const data = parseTwilioMessage(rawBody);
    expect(data).toMatchObject({
      channel: 'whatsapp',
      from: '+14155550100',
      to: '+14155550199',
      body: 'status 1042',
      media: [{ url: 'https://api.twilio.com/media/ME1', contentType: 'image/jpeg' }],
      profileName: 'Ana',
    });
    const filters = (value: unknown) => incomingMessage.with.parse(value);
    expect(incomingMessage.matches?.(filters({ keywords: ['STATUS'] }), data)).toBe(true);
    expect(incomingMessage.matches?.(filters({ channel: 'sms' }), data)).toBe(false);
    expect(incomingMessage.matches?.(filters({ to: '+14155550198' }), data)).toBe(false);
    expect(incomingMessage.reply).toEqual({ contentType: 'text/xml; charset=utf-8', body: EMPTY_TWIML });
    expect(parseTwilioMessage(Buffer.from('CallSid=CA1'))).toBeUndefined();
  });

  it('documents every action and the trigger', async () => {
    const doc = await readFile(twilioConnector.docPath, 'utf8');
    expect(docSections(doc)).toEqual([
      ...twilioConnector.actions.map((action) => action.key),
      ...twilioConnector.triggers.map((trigger) => `trigger:${trigger.key}`),
    ]);
  });
});
