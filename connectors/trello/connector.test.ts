import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { trelloConnector } from './connector.ts';
import { startTrelloFake, type TrelloFake } from './fake-server.ts';
import { cardCreated, signTrelloPayload } from './triggers/card-created.ts';

let fake: TrelloFake;
let env: ReturnType<typeof createTestEnvironment>;
let callback: Server;
let callbackUrl = '';
let headStatus = 200;
const credential = () => ({ apiKey: fake.apiKey, token: fake.token, appSecret: fake.appSecret });

beforeAll(async () => {
  fake = await startTrelloFake();
  env = createTestEnvironment({ trello: fake.url });
  callback = createServer((request, response) => {
    response.writeHead(request.method === 'HEAD' ? headStatus : 405).end();
  });
  await new Promise<void>((resolve) => callback.listen(0, '127.0.0.1', resolve));
  callbackUrl = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/hooks/wf_trello`;
});
afterAll(async () => {
  await fake.close();
  await new Promise((resolve) => callback.close(resolve));
});

const run = (key: string, input: unknown, options: { credential?: unknown } = {}) =>
  runAction(trelloConnector, key, input, { env, credential: credential(), ...options });
const runError = (key: string, input: unknown, options: { credential?: unknown } = {}) =>
  runActionError(trelloConnector, key, input, { env, credential: credential(), ...options });

describe('trello connector against the Trello REST API 1 fake', () => {
  it('creates a card, moves it to another list and comments on it; key and token go in the query', async () => {
    const card = (await run('createCard', {
      listId: fake.todoListId,
      name: 'Call Ana about the offer',
      description: 'She asked for **Friday**.',
      position: 'top',
      due: '2026-12-24T17:00:00Z',
    })) as { id: string; url: string };
    expect(card).toMatchObject({
      name: 'Call Ana about the offer',
      listId: fake.todoListId,
      boardId: fake.boardId,
    });
    expect(card.url).toMatch(/^https:\/\/trello\.com\/c\//);
    const sent = fake.requests.at(-1);
    expect(sent).toMatchObject({
      method: 'POST',
      path: '/1/cards',
      query: { key: fake.apiKey, token: fake.token },
    });
    expect(sent?.body).toEqual({
      idList: fake.todoListId,
      name: 'Call Ana about the offer',
      desc: 'She asked for **Friday**.',
      pos: 'top',
      due: '2026-12-24T17:00:00Z',
    });
    expect(sent?.headers.authorization).toBeUndefined();

    const moved = await run('moveCard', { cardId: card.id, listId: fake.doneListId });
    expect(moved).toMatchObject({ id: card.id, listId: fake.doneListId });
    expect(fake.requests.at(-1)).toMatchObject({
      method: 'PUT',
      path: `/1/cards/${card.id}`,
      body: { idList: fake.doneListId },
    });

    expect(await run('addComment', { cardId: card.id, text: 'Done, she signed.' })).toMatchObject({
      cardId: card.id,
    });
    expect(fake.cards().find((candidate) => candidate.id === card.id)?.comments).toEqual([
      'Done, she signed.',
    ]);
  });

  it('maps Trello’s plain-text errors: an unknown list is E_REQUEST, an unknown card E_NOT_FOUND', async () => {
    const error = await runError('createCard', { listId: 'aaaaaaaaaaaaaaaaaaaaaaaa', name: 'x' });
    expect(error).toMatchObject({ code: 'E_REQUEST', status: 400 });
    expect((error as Error).message).toContain('invalid value for idList');
    expect(
      await runError('moveCard', { cardId: 'bbbbbbbbbbbbbbbbbbbbbbbb', listId: fake.doneListId }),
    ).toMatchObject({
      code: 'E_NOT_FOUND',
    });
  });

  it('a 429 (API_TOKEN_LIMIT_EXCEEDED) is retryable', async () => {
    fake.fail('POST /cards/:id/actions/comments', {
      status: 429,
      headers: { 'retry-after': '10' },
      body: { error: 'API_TOKEN_LIMIT_EXCEEDED', message: 'Rate limit exceeded' },
    });
    const error = await runError('addComment', { cardId: 'cccccccccccccccccccccccc', text: 'x' });
    expect(error).toMatchObject({ code: 'E_RATE_LIMITED', retryable: true, retryAfterMs: 10_000 });
    expect((error as { details: unknown }).details).toMatchObject({ vendorCode: 'API_TOKEN_LIMIT_EXCEEDED' });
  });

  it('cardCreated registers a board webhook (after Trello’s HEAD), reuses it on a retry and deletes it', async () => {
    if (cardCreated.kind !== 'webhook' || !cardCreated.subscription)
      throw new Error('self-registering webhook expected');
    const { subscription } = cardCreated;
    const ctx = {
      credential: credential(),
      client: trelloConnector.createClient({ credential: credential(), env }),
      logger: createLogger({ level: 'silent' }),
      signal: new AbortController().signal,
      env,
    };
    const filters = cardCreated.with.parse({ boardId: fake.boardId });
    headStatus = 404;
    await expect(
      subscription.create(ctx, filters, { url: callbackUrl, secret: 'ours-not-used-0123456789' }),
    ).rejects.toMatchObject({
      code: 'E_REQUEST',
      message: expect.stringContaining('did not return 200'),
    });
    headStatus = 200;
    const created = await subscription.create(ctx, filters, {
      url: callbackUrl,
      secret: 'ours-not-used-0123456789',
    });
    expect(created.secret).toBe(fake.appSecret);
    expect(fake.webhooks()).toEqual([
      expect.objectContaining({ id: created.id, callbackURL: callbackUrl, idModel: fake.boardId }),
    ]);
    const again = await subscription.create(ctx, filters, {
      url: callbackUrl,
      secret: 'another-0123456789abcdef',
    });
    expect(again.id).toBe(created.id);
    expect(fake.webhooks()).toHaveLength(1);
    await subscription.delete(ctx, filters, { id: created.id });
    expect(fake.webhooks()).toEqual([]);
    await subscription.delete(ctx, filters, { id: created.id });
    const noSecret = { ...ctx, credential: { apiKey: fake.apiKey, token: fake.token } };
    await expect(
      subscription.create(noSecret, filters, { url: callbackUrl, secret: 'x'.repeat(32) }),
    ).rejects.toMatchObject({
      code: 'E_CREDENTIAL',
    });
  });

  it('cardCreated verifies X-Trello-Webhook over the raw body and the callback URL, and filters lists', () => {
    if (cardCreated.kind !== 'webhook') throw new Error('webhook trigger expected');
    const raw = Buffer.from(
      JSON.stringify({
        action: {
          id: '5f0000000000000000000001',
          type: 'createCard',
          date: '2026-12-04T09:30:00.000Z',
          data: {
            card: { id: '5f00000000000000000000c1', name: 'New lead', shortLink: 'AbCd1234' },
            list: { id: fake.todoListId, name: 'To do' },
            board: { id: fake.boardId, name: 'Sales' },
          },
          memberCreator: { username: 'ana' },
        },
      }),
    );
    const delivery = (signature: string, url: string | undefined = callbackUrl) => ({
      headers: { 'x-trello-webhook': signature },
      rawBody: raw,
      body: JSON.parse(raw.toString()) as unknown,
      url,
    });
    const good = signTrelloPayload(raw, callbackUrl, fake.appSecret);
    expect(cardCreated.verify(delivery(good), fake.appSecret)).toBe(true);
    expect(cardCreated.verify(delivery(good, `${callbackUrl}x`), fake.appSecret)).toBe(false);
    const { url: _url, ...withoutUrl } = delivery(good);
    expect(cardCreated.verify(withoutUrl, fake.appSecret)).toBe(false);
    expect(
      cardCreated.verify(delivery(signTrelloPayload(raw, callbackUrl, 'f'.repeat(64))), fake.appSecret),
    ).toBe(false);
    const data = cardCreated.parse(delivery(good));
    expect(data).toMatchObject({
      name: 'New lead',
      url: 'https://trello.com/c/AbCd1234',
      listName: 'To do',
      createdBy: 'ana',
    });
    expect(cardCreated.deliveryId?.(delivery(good))).toBe('trello-5f0000000000000000000001');
    const filters = (value: unknown) => cardCreated.with.parse(value);
    expect(cardCreated.matches?.(filters({ boardId: fake.boardId, listIds: [fake.todoListId] }), data)).toBe(
      true,
    );
    expect(cardCreated.matches?.(filters({ boardId: fake.boardId, listIds: [fake.doneListId] }), data)).toBe(
      false,
    );
    expect(
      cardCreated.parse({ ...delivery(good), body: { action: { id: 'x', type: 'updateCard', data: {} } } }),
    ).toBeUndefined();
  });

  it('a revoked token is E_AUTH with how to authorise a new one; testCredential says so too', async () => {
    const stale = credential();
    const check = (given: ReturnType<typeof credential>) =>
      trelloConnector.testCredential?.({
        credential: given,
        client: trelloConnector.createClient({ credential: given, env }),
        signal: new AbortController().signal,
      });
    expect(await check(stale)).toContain('@ana');
    fake.revoke();
    const error = await runError('createCard', { listId: fake.todoListId, name: 'x' }, { credential: stale });
    expect(error).toMatchObject({ code: 'E_AUTH', retryable: false });
    expect((error as Error).message).toContain('invalid token');
    expect((error as { hint: string }).hint).toContain('--type trello');
    await expect(check(stale)).rejects.toMatchObject({ code: 'E_AUTH' });
  });

  it('documents every action and the trigger', async () => {
    const doc = await readFile(trelloConnector.docPath, 'utf8');
    expect(docSections(doc)).toEqual([
      ...trelloConnector.actions.map((action) => action.key),
      ...trelloConnector.triggers.map((trigger) => `trigger:${trigger.key}`),
    ]);
  });
});
