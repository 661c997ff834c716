import { createHash, createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FilePort, FileRef } from '../sdk/files.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { whatsappConnector } from './connector.ts';
import { graphError, startWhatsappFake, type WhatsappFake } from './fake-server.ts';
import { message, parseWhatsappNotification, whatsappVerifyToken } from './triggers/message.ts';

let fake: WhatsappFake;
let env: ReturnType<typeof createTestEnvironment>;
const credential = () => ({ accessToken: fake.accessToken, phoneNumberId: fake.phoneNumberId });

beforeAll(async () => {
  fake = await startWhatsappFake();
  env = createTestEnvironment({ whatsapp: fake.url });
});
afterAll(async () => {
  await fake.close();
});

const run = (key: string, input: unknown, options: { credential?: unknown; files?: FilePort } = {}) =>
  runAction(whatsappConnector, key, input, { env, credential: credential(), ...options });
const runError = (key: string, input: unknown, options: { credential?: unknown } = {}) =>
  runActionError(whatsappConnector, key, input, { env, credential: credential(), ...options });

function memoryFiles(
  bytes: Uint8Array,
  name: string,
  contentType: string,
): { files: FilePort; ref: FileRef } {
  const ref: FileRef = {
    id: 'f_whatsapptestfile000000001',
    name,
    contentType,
    size: bytes.byteLength,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
  const files: FilePort = {
    write: () => Promise.reject(new Error('read only')),
    read: async () => ({ ref, stream: new Blob([new Uint8Array(bytes)]).stream() }),
  };
  return { files, ref };
}

describe('whatsapp connector against the Cloud API fake', () => {
  it('sends a text reply under the phone number id with the bearer token', async () => {
    const sent = await run('sendText', {
      to: `+${fake.customer}`,
      text: 'Order 1042 has shipped.',
      replyTo: 'wamid.in1',
    });
    expect(sent).toMatchObject({ messageId: expect.stringMatching(/^wamid\./), waId: fake.customer });
    const request = fake.requests.at(-1);
    expect(request?.path).toBe(`/v21.0/${fake.phoneNumberId}/messages`);
    expect(request?.headers.authorization).toBe(`Bearer ${fake.accessToken}`);
    expect(request?.body).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: fake.customer,
      context: { message_id: 'wamid.in1' },
      type: 'text',
      text: { body: 'Order 1042 has shipped.', preview_url: false },
    });
  });

  it('sends a template with body parameters', async () => {
    const sent = await run('sendTemplate', {
      to: '14155550111',
      templateName: 'order_shipped',
      bodyParameters: ['Ana', '1042'],
    });
    expect(sent).toMatchObject({ status: 'accepted' });
    expect(fake.sent('14155550111').at(-1)?.body.template).toEqual({
      name: 'order_shipped',
      language: { code: 'en_US' },
      components: [
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Ana' },
            { type: 'text', text: '1042' },
          ],
        },
      ],
    });
    const wrong = await runError('sendTemplate', {
      to: '14155550111',
      templateName: 'order_shipped',
      languageCode: 'de',
    });
    expect(wrong).toMatchObject({ code: 'E_NOT_FOUND', details: { vendorCode: '132001' } });
    expect((wrong as { hint: string }).hint).toContain('WhatsApp Manager');
  });

  it('uploads a file of the run to /media, then sends it by media id', async () => {
    const bytes = new TextEncoder().encode('%PDF-1.4 invoice 1042');
    const { files, ref } = memoryFiles(bytes, 'invoice-1042.pdf', 'application/pdf');
    await run(
      'sendMedia',
      { to: fake.customer, kind: 'document', file: ref, caption: 'Your invoice' },
      { files },
    );
    const [upload] = fake.uploads();
    expect(upload).toMatchObject({
      type: 'application/pdf',
      name: 'invoice-1042.pdf',
      size: bytes.byteLength,
      sha256: ref.sha256,
    });
    expect(fake.requests.at(-2)).toMatchObject({
      path: `/v21.0/${fake.phoneNumberId}/media`,
      body: { messaging_product: 'whatsapp', type: 'application/pdf', file: '<file invoice-1042.pdf>' },
    });
    expect(fake.sent(fake.customer).at(-1)?.body.document).toEqual({
      id: upload?.id,
      caption: 'Your invoice',
      filename: 'invoice-1042.pdf',
    });
    await run('sendMedia', { to: fake.customer, kind: 'image', link: 'https://example.com/menu.jpg' });
    expect(fake.sent(fake.customer).at(-1)?.body.image).toEqual({ link: 'https://example.com/menu.jpg' });
  });

  it('maps the 24-hour window error with a hint, and rate limits as retryable with a wait', async () => {
    const late = await runError('sendText', { to: '14155550122', text: 'hello' });
    expect(late).toMatchObject({ code: 'E_REQUEST', retryable: false, details: { vendorCode: '131047' } });
    expect((late as Error).message).toContain('24 hours');
    expect((late as { hint: string }).hint).toContain('template');
    fake.fail('POST messages', {
      status: 429,
      headers: { 'retry-after': '4' },
      body: graphError('(#130429) Rate limit hit', 130429),
    });
    expect(await runError('sendText', { to: fake.customer, text: 'hi' })).toMatchObject({
      code: 'E_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 4000,
    });
    fake.fail('POST messages', {
      status: 400,
      body: graphError('(#131056) (Business Account, Consumer Account) pair rate limit hit', 131056),
    });
    expect(await runError('sendText', { to: fake.customer, text: 'hi' })).toMatchObject({
      retryable: true,
      retryAfterMs: 6000,
    });
  });

  it('tests the credential; an expired token (190) is E_AUTH with what to do', async () => {
    const client = whatsappConnector.createClient({ credential: credential(), env });
    expect(
      await whatsappConnector.testCredential?.({
        credential: credential(),
        client,
        signal: AbortSignal.timeout(5000),
      }),
    ).toContain('Acme Shop');
    expect(fake.requests.at(-1)?.path).toBe(`/v21.0/${fake.phoneNumberId}`);
    fake.expire();
    const error = await runError('sendText', { to: fake.customer, text: 'hi' });
    expect(error).toMatchObject({ code: 'E_AUTH', status: 401, details: { vendorCode: '190/463' } });
    expect((error as { hint: string }).hint).toContain('System User');
    expect(JSON.stringify({ message: (error as Error).message })).not.toContain(fake.accessToken);
  });

  it('answers Meta’s verify-token check only for the workflow’s token', () => {
    if (message.kind !== 'webhook' || !message.challenge) throw new Error('challenge expected');
    const { challenge } = message;
    const filters = message.with.parse({});
    const token = whatsappVerifyToken(fake.appSecret);
    // What the doc's openssl line prints for the app secret.
    expect(token).toBe(
      createHmac('sha256', fake.appSecret).update('whatsapp-verify-token').digest('hex').slice(0, 32),
    );
    const check = (query: Record<string, string>, secrets = [fake.appSecret]) =>
      challenge({ query, headers: {} }, filters, secrets);
    expect(
      check({ 'hub.mode': 'subscribe', 'hub.verify_token': token, 'hub.challenge': '7' }, ['other']),
    ).toBeUndefined();
    expect(
      check({
        'hub.mode': 'subscribe',
        'hub.verify_token': token,
        'hub.challenge': '1158201444',
      }),
    ).toBe('1158201444');
    expect(
      check({ 'hub.mode': 'subscribe', 'hub.verify_token': 'wrong-token', 'hub.challenge': '1' }),
    ).toBeUndefined();
    expect(
      check({ 'hub.mode': 'unsubscribe', 'hub.verify_token': token, 'hub.challenge': '1' }),
    ).toBeUndefined();
    expect(
      check({
        'hub.mode': 'subscribe',
        'hub.verify_token': token,
        'hub.challenge': '<script>',
      }),
    ).toBeUndefined();
  });

  it('verifies X-Hub-Signature-256, parses messages and ignores status updates', () => {
    if (message.kind !== 'webhook') throw new Error('webhook');
    const body = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '102290129340398',
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: '15550783881', phone_number_id: fake.phoneNumberId },
                contacts: [{ profile: { name: 'Ana' }, wa_id: fake.customer }],
                messages: [
                  {
                    from: fake.customer,
                    id: 'wamid.btn1',
                    timestamp: '1764840000',
                    type: 'interactive',
                    interactive: {
                      type: 'button_reply',
                      button_reply: { id: 'track-1042', title: 'Track order' },
                    },
                    context: { from: '15550783881', id: 'wamid.out7' },
                  },
                ],
              },
            },
          ],
        },
      ],
    };
    const rawBody = Buffer.from(JSON.stringify(body));
    const signature = `sha256=${createHmac('sha256', fake.appSecret).update(rawBody).digest('hex')}`;
    const delivery = (header: string, raw = rawBody) => ({
      headers: { 'x-hub-signature-256': header },
      rawBody: raw,
      body,
    });
    expect(message.verify(delivery(signature), fake.appSecret)).toBe(true);
    expect(message.verify(delivery(signature), 'another-secret')).toBe(false);
    expect(message.verify(delivery(signature, Buffer.from(`${rawBody}\n`)), fake.appSecret)).toBe(false);
    const data = parseWhatsappNotification(body);
    expect(data).toMatchObject({
      messageId: 'wamid.btn1',
      from: fake.customer,
      profileName: 'Ana',
      type: 'interactive',
      text: 'Track order',
      buttonPayload: 'track-1042',
      replyToMessageId: 'wamid.out7',
      timestamp: '2025-12-04T09:20:00.000Z',
    });
    expect(message.deliveryId?.(delivery(signature))).toBe('whatsapp:wamid.btn1');
    const filters = (value: object) => message.with.parse(value);
    expect(message.matches?.(filters({ types: ['interactive'] }), data)).toBe(true);
    expect(message.matches?.(filters({ types: ['text'] }), data)).toBe(false);
    expect(message.matches?.(filters({ phoneNumberId: '999999' }), data)).toBe(false);
    const statuses = structuredClone(body);
    const value = statuses.entry[0]?.changes[0]?.value as Record<string, unknown>;
    delete value.messages;
    value.statuses = [
      { id: 'wamid.out7', status: 'read', timestamp: '1764840001', recipient_id: fake.customer },
    ];
    expect(parseWhatsappNotification(statuses)).toBeUndefined();
  });

  it('documents every action and the trigger', async () => {
    const doc = await readFile(whatsappConnector.docPath, 'utf8');
    expect(docSections(doc)).toEqual([
      ...whatsappConnector.actions.map((action) => action.key),
      ...whatsappConnector.triggers.map((trigger) => `trigger:${trigger.key}`),
    ]);
  });
});
