import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinConnectors } from '../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { createCatalog } from '../runtime/workflow/catalog.ts';
import { WEBHOOK_VERIFY_SCHEMES } from '../runtime/workflow/webhook-trigger-with.ts';
import { webhookSchemeDocId } from './core-doc-sources.ts';
import { createDocIndex, type DocIndex } from './doc-index.ts';
import { createHashingEmbedder } from './hashing-embedder.ts';
import { collectDocSources } from './index.ts';

let db: TestDatabase;
let index: DocIndex;
beforeAll(async () => {
  db = await createTestDatabase();
  index = createDocIndex({ db: db.sql, embedder: createHashingEmbedder() });
  const catalog = createCatalog(builtinConnectors);
  await index.sync(await collectDocSources({ connectors: builtinConnectors, catalog }));
});
afterAll(async () => {
  await db?.drop();
});

const top = async (query: string, k = 1) => (await index.search(query, { k })).map((hit) => hit.id);

describe('trigger docs: every core trigger kind and webhook scheme has its own section', () => {
  it('indexes one section per verify scheme, with what the sender sends, the secret, the delivery id and an example', async () => {
    const sources = await collectDocSources({ connectors: builtinConnectors });
    for (const scheme of WEBHOOK_VERIFY_SCHEMES) {
      const source = sources.find((candidate) => candidate.docId === webhookSchemeDocId(scheme));
      expect(source, scheme).toMatchObject({ kind: 'trigger' });
      expect(source?.text).toContain('The sender sends:');
      expect(source?.text).toContain('The secret (');
      expect(source?.text).toContain('Delivery id');
      expect(source?.text).toContain('"type":"webhook"');
    }
    for (const type of ['manual', 'webhook', 'schedule', 'chat', 'workflow.failed']) {
      expect(
        sources.some((source) => source.sourceId === `core:doc:${type}`),
        type,
      ).toBe(true);
    }
  });

  it('finds the scheme section for a sender, and each core trigger by what starts it', async () => {
    expect(await top('stripe webhook signature')).toEqual(['webhook:stripe']);
    expect(await top('verify the Shopify HMAC of an orders webhook')).toEqual(['webhook:shopify']);
    expect(await top('Standard Webhooks signature from Svix')).toEqual(['webhook:standard-webhooks']);
    // The twilio connector's own trigger and the core webhook's twilio scheme both answer an incoming Twilio SMS.
    expect(await top('incoming Twilio SMS webhook signature', 2)).toEqual(
      expect.arrayContaining(['webhook:twilio', 'twilio.incomingMessage']),
    );
    expect(await top('webhook signed with a custom HMAC header sha512')).toEqual(['webhook:hmac']);
    expect(await top('the sender cannot sign, put the secret token in the URL')).toEqual(['webhook:token']);
    expect(await top('run when another workflow fails')).toEqual(['workflow.failed']);
    expect(await top('run it every weekday at 9am', 3)).toContain('schedule');
    expect(await top('start when I type a message here in this conversation', 3)).toContain('chat');
    expect(await top('start it by hand with some input', 3)).toContain('manual');
    expect(await top('receive an HTTP callback to kick things off', 3)).toContain('webhook');
  });
});
