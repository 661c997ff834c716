import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.ts';
import type { PollTriggerDefinition } from '../sdk/define.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { NOTION_VERSION } from './client.ts';
import { notionConnector } from './connector.ts';
import { type NotionFake, notionError, startNotionFake } from './fake-server.ts';

let fake: NotionFake;
let env: ReturnType<typeof createTestEnvironment>;
const credential = () => ({ token: fake.token });
type Options = { credential?: unknown; credentialType?: string };

beforeAll(async () => {
  fake = await startNotionFake();
  env = createTestEnvironment({ notion: fake.url });
});
afterAll(async () => {
  await fake.close();
});

const run = (key: string, input: unknown, options: Options = {}) =>
  runAction(notionConnector, key, input, { env, credential: credential(), ...options });
const runError = (key: string, input: unknown, options: Options = {}) =>
  runActionError(notionConnector, key, input, { env, credential: credential(), ...options });
type PageOut = { id: string; title: string; properties: Record<string, unknown>; archived: boolean };

describe('notion connector against the Notion API fake', () => {
  it('creates a database item with a title, properties and paragraphs, then updates and archives it', async () => {
    const page = (await run('createPage', {
      databaseId: fake.databaseId,
      title: 'Acme Corp',
      properties: { Status: { select: { name: 'New' } }, Amount: { number: 1200 } },
      paragraphs: ['Wants a demo.'],
    })) as PageOut;
    expect(page).toMatchObject({
      title: 'Acme Corp',
      properties: { Name: 'Acme Corp', Status: 'New', Amount: 1200 },
    });
    const sent = fake.requests.at(-1);
    expect(sent).toMatchObject({ method: 'POST', path: '/v1/pages' });
    expect(sent?.headers.authorization).toBe(`Bearer ${fake.token}`);
    expect(sent?.headers['notion-version']).toBe(NOTION_VERSION);
    expect(sent?.body).toEqual({
      parent: { database_id: fake.databaseId },
      properties: {
        Status: { select: { name: 'New' } },
        Amount: { number: 1200 },
        Name: { title: [{ type: 'text', text: { content: 'Acme Corp' } }] },
      },
      children: [
        {
          object: 'block',
          type: 'paragraph',
          paragraph: { rich_text: [{ type: 'text', text: { content: 'Wants a demo.' } }] },
        },
      ],
    });

    const updated = (await run('updatePage', {
      pageId: page.id,
      properties: { Status: { select: { name: 'Won' } } },
    })) as PageOut;
    expect(updated.properties).toMatchObject({ Name: 'Acme Corp', Status: 'Won' });
    expect(fake.requests.at(-1)).toMatchObject({ method: 'PATCH', path: `/v1/pages/${page.id}` });
    expect(((await run('updatePage', { pageId: page.id, archived: true })) as PageOut).archived).toBe(true);

    const sub = (await run('createPage', { parentPageId: fake.pageId, title: 'Meeting notes' })) as PageOut;
    expect(fake.requests.at(-1)?.body).toMatchObject({
      parent: { page_id: fake.pageId },
      properties: { title: { title: [{ text: { content: 'Meeting notes' } }] } },
    });
    expect(sub.title).toBe('Meeting notes');
    expect(await runError('createPage', { title: 'nowhere' })).toMatchObject({ code: 'E_PARAMS' });
  });

  it('appends paragraphs and raw blocks to a page', async () => {
    const page = (await run('createPage', { parentPageId: fake.pageId, title: 'Log' })) as PageOut;
    const appended = (await run('appendBlocks', {
      blockId: page.id,
      paragraphs: ['First line'],
      blocks: [{ type: 'to_do', to_do: { rich_text: [{ text: { content: 'Call back' } }], checked: false } }],
    })) as { blockIds: string[] };
    expect(appended.blockIds).toHaveLength(2);
    expect(fake.requests.at(-1)).toMatchObject({ method: 'PATCH', path: `/v1/blocks/${page.id}/children` });
    expect(
      fake
        .pages()
        .find((candidate) => candidate.id === page.id)
        ?.children.map((child) => child.type),
    ).toEqual(['paragraph', 'to_do']);
    expect(await runError('appendBlocks', { blockId: page.id })).toMatchObject({ code: 'E_PARAMS' });
  });

  it('queries a database with a filter and walks start_cursor pages in the body up to limit', async () => {
    fake.seed(Array.from({ length: 230 }, (_, index) => `Bulk ${index}`));
    const before = fake.requests.length;
    const capped = (await run('queryDatabase', { databaseId: fake.databaseId, limit: 150 })) as {
      pages: PageOut[];
      truncated: boolean;
    };
    expect(capped.pages).toHaveLength(150);
    expect(capped.truncated).toBe(true);
    const bodies = fake.requests.slice(before).map((request) => request.body as Record<string, unknown>);
    expect(bodies[0]).toEqual({ page_size: 100 });
    expect(bodies[1]).toMatchObject({ page_size: 100, start_cursor: expect.any(String) });

    const filtered = (await run('queryDatabase', {
      databaseId: fake.databaseId,
      filter: { property: 'Name', title: { contains: 'bulk 22' } },
      limit: 1000,
    })) as { pages: PageOut[]; truncated: boolean };
    expect(filtered.truncated).toBe(false);
    expect(filtered.pages.map((page) => page.title).sort()).toEqual(
      ['Bulk 22', ...Array.from({ length: 10 }, (_, i) => `Bulk 22${i}`)].sort(),
    );
  });

  it('maps Notion errors: an unshared page is E_NOT_FOUND with the share hint, a bad property a validation_error', async () => {
    const missing = await runError('updatePage', {
      pageId: '00000000-0000-4000-8000-000000000000',
      archived: true,
    });
    expect(missing).toMatchObject({ code: 'E_NOT_FOUND', details: { vendorCode: 'object_not_found' } });
    expect((missing as { hint: string }).hint).toContain('Connections');
    const invalid = await runError('createPage', {
      databaseId: fake.databaseId,
      properties: { Stage: { select: { name: 'New' } } },
    });
    expect(invalid).toMatchObject({
      code: 'E_REQUEST',
      status: 400,
      details: { vendorCode: 'validation_error' },
    });
    expect((invalid as Error).message).toContain('Stage is not a property that exists.');
  });

  it('a 429 rate_limited is retryable after Notion’s Retry-After', async () => {
    fake.fail('POST /pages', {
      status: 429,
      headers: { 'retry-after': '7' },
      body: notionError(
        429,
        'rate_limited',
        'You have been rate limited. Please try again in a few minutes.',
      ),
    });
    expect(await runError('createPage', { parentPageId: fake.pageId, title: 'later' })).toMatchObject({
      code: 'E_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 7000,
      details: { vendorCode: 'rate_limited' },
    });
  });

  it('takes an oauth2 credential connected with the notion provider (bearer access token)', async () => {
    const accessToken = 'ntn_oauth_access_0123456789abcdefghijklmnop';
    fake.allowToken(accessToken);
    const oauth = {
      authorizeUrl: 'https://api.notion.com/v1/oauth/authorize',
      tokenUrl: 'https://api.notion.com/v1/oauth/token',
      clientId: 'client-1',
      clientSecret: 'client-secret-1',
      provider: 'notion',
      accessToken,
    };
    const result = await run(
      'queryDatabase',
      { databaseId: fake.databaseId, limit: 1 },
      { credential: oauth, credentialType: 'oauth2' },
    );
    expect(result).toMatchObject({ pages: [expect.any(Object)] });
    expect(fake.requests.at(-1)?.headers.authorization).toBe(`Bearer ${accessToken}`);
    expect(notionConnector.oauthProviders?.map((provider) => provider.id)).toEqual(['notion']);
  });

  it('a revoked token is E_AUTH with how to store a new one, and testCredential says so too', async () => {
    const stale = credential();
    const check = (token: { token: string }) =>
      notionConnector.testCredential?.({
        credential: token,
        client: notionConnector.createClient({ credential: token, env }),
        signal: new AbortController().signal,
      });
    expect(await check(stale)).toContain('VelocityMesh');
    fake.revoke();
    const error = await runError('queryDatabase', { databaseId: fake.databaseId }, { credential: stale });
    expect(error).toMatchObject({
      code: 'E_AUTH',
      retryable: false,
      details: { vendorCode: 'unauthorized' },
    });
    expect((error as { hint: string }).hint).toContain('--type notion');
    await expect(check(stale)).rejects.toMatchObject({ code: 'E_AUTH' });
  });

  it('databaseItemAdded asks for items created on or after the watermark’s minute, newest first', async () => {
    const trigger = notionConnector.triggers[0] as PollTriggerDefinition;
    const ctx = {
      credential: credential(),
      client: notionConnector.createClient({ credential: credential(), env }),
      logger: createLogger({ level: 'silent' }),
      signal: new AbortController().signal,
      env,
    };
    const now = Math.floor(Date.now() / 60_000) * 60_000;
    const [old] = fake.seed(['Old item'], new Date(now - 3 * 86_400_000).toISOString());
    const [fresh] = fake.seed(['Fresh item'], new Date(now - 3 * 60_000 + 20_000).toISOString());
    const filters = trigger.with.parse({ databaseId: fake.databaseId });
    const after = { at: now - 3 * 60_000 + 5_000, id: 'x' };
    const polled = await trigger.poll(ctx, filters, { after, state: undefined });
    const ids = polled.items.map((item) => item.id);
    expect(ids).toContain(fresh?.id);
    expect(ids).not.toContain(old?.id);
    expect(fake.requests.at(-1)?.body).toMatchObject({
      filter: {
        timestamp: 'created_time',
        created_time: { on_or_after: new Date(now - 3 * 60_000).toISOString() },
      },
      sorts: [{ timestamp: 'created_time', direction: 'descending' }],
    });
    const first = await trigger.poll(ctx, filters, { after: undefined, state: undefined });
    expect(first.items.map((item) => item.id)).not.toContain(old?.id);
    expect(trigger.intervalMs(filters)).toBe(60_000);
  });

  it('documents every action and trigger', async () => {
    const doc = await readFile(notionConnector.docPath, 'utf8');
    expect(docSections(doc)).toEqual([
      ...notionConnector.actions.map((action) => action.key),
      ...notionConnector.triggers.map((trigger) => `trigger:${trigger.key}`),
    ]);
  });
});
