import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntimePorts } from '../agent/index.ts';
import { httpConnector, kbConnector } from '../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import {
  createEngineServices,
  type EngineServices,
  startRun,
  WorkflowDocument,
  waitForRun,
} from '../runtime/index.ts';
import { dryRunWorkflow } from '../tools/index.ts';
import { createHashingEmbedder } from './hashing-embedder.ts';
import { createKnowledgeBaseStore, type KnowledgeBaseStore } from './knowledge-base.ts';
import { createKnowledgeBase } from './knowledge-base-port.ts';

// kb.upsert / kb.delete / kb.search as workflow steps through the real worker on the test Postgres: "index our
// docs folder and answer questions from it" (the answering is a later llm step; here the search part).

const DOCS_DIR = new URL('./__fixtures__/kb-docs/', import.meta.url);
let db: TestDatabase;
let engine: EngineServices;
let worker: Awaited<ReturnType<EngineServices['startWorker']>>;
let store: KnowledgeBaseStore;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 8 });
  store = createKnowledgeBaseStore({ db: db.sql, embedder: createHashingEmbedder() });
  engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    {
      env: { VMESH_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'), VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' },
      connectors: [kbConnector, httpConnector],
      knowledgeBase: createKnowledgeBase(db.sql, { store }),
    },
  );
  worker = await engine.startWorker({ concurrency: 2 });
});

afterAll(async () => {
  await worker?.stop();
  await db?.drop();
});

async function docsFolder(): Promise<{ path: string; content: string }[]> {
  const names = (await readdir(DOCS_DIR)).sort();
  return Promise.all(
    names.map(async (name) => ({
      path: `docs/${name}`,
      content: await readFile(new URL(name, DOCS_DIR), 'utf8'),
    })),
  );
}

async function runWorkflow(
  nodes: unknown[],
  trigger: Record<string, unknown> = {},
  options: { workspace?: string; edges?: { from: string; to: string }[] } = {},
) {
  const { id } = await engine.workflows.create({
    schemaVersion: 1,
    name: `kb ${Math.random().toString(36).slice(2)}`,
    trigger: { type: 'manual' },
    nodes,
    edges: options.edges ?? [],
  });
  if (options.workspace)
    await db.sql`update workflows set workspace_id = ${options.workspace} where id = ${id}`;
  const { runId } = await startRun(db.sql, id, trigger);
  const view = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
  const steps = await db.sql<
    { nodeId: string; status: string; output: unknown; error: { code?: string; message?: string } | null }[]
  >`
    select node_id, status, output, error from steps where run_id = ${runId} order by node_id`;
  return { view, steps };
}

function indexFolder(collection: string, options: { workspace?: string } = {}) {
  return docsFolder().then((files) =>
    runWorkflow(
      [
        {
          id: 'index',
          uses: 'core.foreach',
          with: { items: '{{ trigger.files }}' },
          do: {
            nodes: [
              {
                id: 'put',
                uses: 'kb.upsert',
                with: { collection, id: '{{ item.path }}', text: '{{ item.content }}' },
              },
            ],
            edges: [],
          },
        },
      ],
      { files },
      options,
    ),
  );
}

function searchNode(collection: string, k = 3) {
  return { id: 'search', uses: 'kb.search', with: { collection, query: '{{ trigger.question }}', k } };
}

async function ask(collection: string, question: string, options: { workspace?: string; k?: number } = {}) {
  const { view } = await runWorkflow([searchNode(collection, options.k)], { question }, options);
  expect(view.status).toBe('succeeded');
  return view.output as { results: { id: string; text: string; score: number }[] };
}

describe('kb actions through the worker', () => {
  it('indexes a downloaded file (HTML and DOCX-free text here): its text is found by a search', async () => {
    const page =
      '<html><body><h1>Refund policy</h1><p>Refunds are paid within 14 days to the original card.</p>' +
      '<script>ignored()</script></body></html>';
    const server = createServer((_request, response) =>
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/refunds.html`;
    try {
      const indexed = await runWorkflow(
        [
          { id: 'download', uses: 'http.request', with: { method: 'GET', url, responseType: 'file' } },
          {
            id: 'put',
            uses: 'kb.upsert',
            with: { collection: 'policies', id: 'refunds', file: '{{ steps.download.output.file }}' },
          },
        ],
        {},
        { edges: [{ from: 'download', to: 'put' }] },
      );
      expect(indexed.view.status, JSON.stringify(indexed.steps)).toBe('succeeded');
      const { results } = await ask('policies', 'how many days until a refund is paid');
      expect(results[0]?.id).toBe('refunds');
      expect(results[0]?.text).toContain('Refunds are paid within 14 days');
      expect(results[0]?.text).not.toContain('ignored()');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('indexes a docs folder, then a search workflow finds the right doc best first', async () => {
    const indexed = await indexFolder('product-docs');
    expect(indexed.view.status).toBe('succeeded');
    const puts = indexed.view.output as {
      collection: string;
      id: string;
      chunks: number;
      replaced: boolean;
    }[];
    expect(puts).toHaveLength(5);
    expect(puts.every((put) => put.chunks >= 1 && put.replaced === false)).toBe(true);

    const answer = await ask('product-docs', 'how do I rotate an API key?');
    expect(Object.keys(answer)).toEqual(['results']);
    expect(answer.results[0]?.id).toBe('docs/api-keys.md');
    expect(Object.keys(answer.results[0] ?? {}).sort()).toEqual(['id', 'score', 'text']);
    expect(answer.results[0]?.text).toContain('Rotate');
    expect(answer.results.length).toBeLessThanOrEqual(3);
    const scores = answer.results.map((result) => result.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));

    expect((await ask('product-docs', 'get my money back for an invoice')).results[0]?.id).toBe(
      'docs/billing.md',
    );
    expect((await ask('product-docs', 'verify the signature of webhook deliveries')).results[0]?.id).toBe(
      'docs/webhooks.md',
    );
    expect((await ask('product-docs', 'agent shows offline, firewall')).results[0]?.id).toBe(
      'docs/troubleshooting.md',
    );
  });

  it('re-upserting an id replaces its chunks', async () => {
    await indexFolder('replace-docs');
    const { view } = await runWorkflow([
      {
        id: 'put',
        uses: 'kb.upsert',
        with: {
          collection: 'replace-docs',
          id: 'docs/api-keys.md',
          text: 'Personal access tokens expire after ninety days; renew them in the profile page.',
        },
      },
    ]);
    expect(view.output).toEqual({
      collection: 'replace-docs',
      id: 'docs/api-keys.md',
      chunks: 1,
      replaced: true,
    });
    const rows = await db.sql<{ content: string }[]>`
      select content from kb_chunks where collection = 'replace-docs' and doc_id = 'docs/api-keys.md'`;
    expect(rows.map((row) => row.content)).toEqual([
      'Personal access tokens expire after ninety days; renew them in the profile page.',
    ]);
    const renewed = await ask('replace-docs', 'when do personal access tokens expire');
    expect(renewed.results[0]).toMatchObject({
      id: 'docs/api-keys.md',
      text: expect.stringContaining('ninety'),
    });
    const old = await ask('replace-docs', 'rotate key revoke leaked secret', { k: 10 });
    expect(old.results.some((result) => result.text.includes('Revoke a leaked key'))).toBe(false);
  });

  it('deletes a document by id; deleting it again says deleted: false', async () => {
    await indexFolder('delete-docs');
    const remove = {
      id: 'gone',
      uses: 'kb.delete',
      with: { collection: 'delete-docs', id: 'docs/billing.md' },
    };
    expect((await runWorkflow([remove])).view.output).toEqual({
      collection: 'delete-docs',
      id: 'docs/billing.md',
      deleted: true,
    });
    expect((await runWorkflow([remove])).view.output).toMatchObject({ deleted: false });
    const after = await ask('delete-docs', 'refund an invoice', { k: 10 });
    expect(after.results.map((result) => result.id)).not.toContain('docs/billing.md');
    expect(after.results.length).toBeGreaterThan(0);
  });

  it('keeps collections apart, by name and by workspace', async () => {
    await indexFolder('team-a');
    expect((await ask('team-b', 'rotate an API key')).results).toEqual([]);
    await db.sql`insert into workspaces (id, name) values ('other', 'Other workspace') on conflict do nothing`;
    expect((await ask('team-a', 'rotate an API key', { workspace: 'other' })).results).toEqual([]);
    const { view } = await runWorkflow(
      [
        {
          id: 'put',
          uses: 'kb.upsert',
          with: { collection: 'team-a', id: 'notes.md', text: 'Rotate the tyres every spring.' },
        },
      ],
      {},
      { workspace: 'other' },
    );
    expect(view.status).toBe('succeeded');
    const other = await ask('team-a', 'rotate', { workspace: 'other', k: 10 });
    expect(other.results.map((result) => result.id)).toEqual(['notes.md']);
    const home = await ask('team-a', 'rotate', { k: 10 });
    expect(home.results.map((result) => result.id)).not.toContain('notes.md');
  });

  it('rejects bad input with clear errors: at validation and, from expressions, at run time', async () => {
    const report = engine.workflows.validate({
      schemaVersion: 1,
      name: 'bad kb',
      trigger: { type: 'manual' },
      nodes: [
        { id: 'a', uses: 'kb.search', with: { collection: 'Product Docs!', query: 'x' } },
        { id: 'b', uses: 'kb.upsert', with: { collection: 'docs', id: 'a.md' } },
        { id: 'c', uses: 'kb.search', with: { collection: 'docs', query: 'x', k: 500 } },
      ],
      edges: [],
    });
    expect(report.valid).toBe(false);
    const byNode = (node: string) => report.errors.filter((error) => error.path.startsWith(`/nodes/${node}`));
    expect(byNode('0')[0]).toMatchObject({ code: 'E_PARAMS' });
    expect(byNode('0')[0]?.message).toMatch(/collection name is 1–63 characters/);
    expect(
      byNode('1')
        .map((error) => error.message)
        .join(' '),
    ).toMatch(/exactly one of "text" and "file"/);
    expect(byNode('2')[0]).toMatchObject({ code: 'E_PARAMS' });

    const { view, steps } = await runWorkflow(
      [{ id: 'search', uses: 'kb.search', with: { collection: '{{ trigger.collection }}', query: 'keys' } }],
      { collection: 'Not OK' },
    );
    expect(view.status).toBe('failed');
    expect(steps[0]?.error).toMatchObject({ code: 'E_PARAMS' });
    expect(steps[0]?.error?.message).toMatch(/kb\.search: invalid parameters: collection: a collection name/);
  });

  it('ranks exactly on this server, and the mode matches whether the server has pgvector', async () => {
    const [available] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from pg_available_extensions where name = 'vector'`;
    expect(await store.mode()).toBe(available?.n ? 'pgvector' : 'exact');
    // A small collection is ranked exactly even with pgvector (the HNSW path is tested on PGlite).
    expect(await store.vectorScan('default', 'product-docs')).toBe('exact');
  });

  it('dry-runs kb steps from their output schemas without touching the store', async () => {
    const ports = createRuntimePorts({ sql: db.sql, connectors: [kbConnector] });
    const document = WorkflowDocument.parse({
      schemaVersion: 1,
      name: 'answer from docs',
      trigger: { type: 'manual' },
      nodes: [
        searchNode('dry-docs'),
        { id: 'first', uses: 'core.transform', with: { value: '{{ steps.search.output.results[0].id }}' } },
      ],
      edges: [{ from: 'search', to: 'first' }],
    });
    const report = await dryRunWorkflow(document as WorkflowDocument, { question: 'rotate a key' }, ports);
    expect(report.ok).toBe(true);
    expect(report.steps[0]).toMatchObject({ id: 'search', status: 'simulated' });
    expect(report.steps[0]?.output).toMatchObject({
      results: [{ id: expect.any(String), score: expect.any(Number) }],
    });
    const [stored] = await db.sql<
      { n: number }[]
    >`select count(*)::int as n from kb_collections where name = 'dry-docs'`;
    expect(stored?.n).toBe(0);
  });
});
