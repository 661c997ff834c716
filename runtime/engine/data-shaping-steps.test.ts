import fc from 'fast-check';
import { gzipSync, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compressionConnector,
  createCredentialStore,
  cryptoConnector,
  htmlConnector,
  markdownConnector,
  parseSecretKey,
  stateConnector,
  xmlConnector,
} from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { waitForRun } from '../store/run-store.ts';
import { startRun } from './engine.ts';
import type { EngineWorker } from './worker.ts';

// The data-shaping and state actions through the whole engine: a real worker on a real Postgres. Hostile input
// (billion laughs, bombs, deep nesting, garbage) fails its step with a clear code and the worker runs on.

const secretKey = Buffer.alloc(32, 7).toString('base64');
const hmacKey = 'hmac-key-for-tests-4711';
const connectors = [
  xmlConnector,
  htmlConnector,
  markdownConnector,
  cryptoConnector,
  compressionConnector,
  stateConnector,
];

let db: TestDatabase;
let engine: EngineServices;
let worker: EngineWorker;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 10 });
  engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    { env: { VMESH_SECRET_KEY: secretKey }, connectors },
  );
  const credentials = createCredentialStore({
    sql: db.sql,
    key: parseSecretKey(secretKey),
    types: cryptoConnector.credential ? [cryptoConnector.credential] : [],
  });
  await credentials.set('signing', 'hmac-key', { key: hmacKey });
  worker = await engine.startWorker({ concurrency: 4 });
});

afterAll(async () => {
  await worker?.stop();
  await db?.drop();
});

type Node = {
  id: string;
  uses: string;
  with?: Record<string, unknown>;
  credential?: string;
  retry?: unknown;
};
type Edge = { from: string; to: string };

async function createWorkflow(name: string, nodes: Node[], edges: Edge[] = []): Promise<string> {
  const { id } = await engine.workflows.create({
    schemaVersion: 1,
    name,
    trigger: { type: 'manual' },
    nodes: nodes.map((node) => ({ retry: { maxAttempts: 1 }, ...node })),
    edges,
  });
  return id;
}

async function runWorkflow(workflowId: string, input: unknown = {}) {
  const { runId } = await startRun(db.sql, workflowId, input);
  return waitForRun(db.sql, runId, { timeoutMs: 30_000 });
}

async function runOne(node: Node, input: unknown = {}) {
  const id = await createWorkflow(`${node.uses} ${Math.random()}`, [node]);
  const view = await runWorkflow(id, input);
  return { view, step: view.steps.find((step) => step.id === node.id) };
}

const chain = (nodes: Node[]): Edge[] =>
  nodes.slice(1).map((node, at) => ({ from: nodes[at]!.id, to: node.id }));

/** A healthy run after a hostile one: the worker still takes and finishes work. */
async function expectWorkerHealthy() {
  const { view } = await runOne({ id: 'ok', uses: 'crypto.hash', with: { data: 'still alive' } });
  expect(view.status).toBe('succeeded');
}

describe('data-shaping actions in a workflow run', () => {
  it('chains every action: XML, HTML, Markdown, hashes, HMAC with a stored key, base64, gzip and zip', async () => {
    const nodes: Node[] = [
      { id: 'parse', uses: 'xml.toJson', with: { xml: '{{ trigger.xml }}', alwaysArray: ['item'] } },
      {
        id: 'toXml',
        uses: 'xml.fromJson',
        with: { data: '{{ steps.parse.output.data }}', declaration: false },
      },
      {
        id: 'scrape',
        uses: 'html.extract',
        with: {
          html: '{{ trigger.html }}',
          baseUrl: 'https://example.com/blog/',
          selectors: { title: 'h1', links: { selector: 'a', attribute: 'href', all: true } },
        },
      },
      { id: 'render', uses: 'markdown.toHtml', with: { markdown: '# {{ steps.scrape.output.data.title }}' } },
      { id: 'back', uses: 'markdown.fromHtml', with: { html: '{{ steps.render.output.html }}' } },
      { id: 'digest', uses: 'crypto.hash', with: { data: '{{ steps.toXml.output.xml }}' } },
      {
        id: 'sign',
        uses: 'crypto.hmac',
        credential: 'signing',
        with: { data: 'payload', prefix: 'sha256=' },
      },
      { id: 'uuid', uses: 'crypto.randomId', with: {} },
      { id: 'b64', uses: 'crypto.base64Encode', with: { text: '{{ steps.back.output.markdown }}' } },
      { id: 'unb64', uses: 'crypto.base64Decode', with: { base64: '{{ steps.b64.output.base64 }}' } },
      { id: 'gz', uses: 'compression.gzip', with: { content: '{{ steps.unb64.output.text }}' } },
      { id: 'gunz', uses: 'compression.gunzip', with: { base64: '{{ steps.gz.output.base64 }}' } },
      {
        id: 'pack',
        uses: 'compression.zip',
        with: { files: [{ name: 'a/readme.md', content: '{{ steps.gunz.output.content }}' }] },
      },
      { id: 'unpack', uses: 'compression.unzip', with: { base64: '{{ steps.pack.output.base64 }}' } },
    ];
    const id = await createWorkflow('everything', nodes, chain(nodes));
    const view = await runWorkflow(id, {
      xml: '<feed><item id="1">A &amp; B</item></feed>',
      html: '<html><body><h1> Hello   world </h1><a href="/x">x</a><a href="https://o.org/">o</a></body></html>',
    });
    expect(view.status).toBe('succeeded');
    const out = (id: string) =>
      view.steps.find((step) => step.id === id)?.output as Record<string, unknown> | undefined;
    expect(out('parse')?.data).toEqual({ feed: { item: [{ '#text': 'A & B', '@_id': '1' }] } });
    expect(out('toXml')?.xml).toBe('<feed><item id="1">A &amp; B</item></feed>');
    expect(out('scrape')?.data).toEqual({
      title: 'Hello world',
      links: ['https://example.com/x', 'https://o.org/'],
    });
    expect(out('render')?.html).toBe('<h1>Hello world</h1>\n');
    expect(out('back')?.markdown).toBe('# Hello world');
    expect(out('digest')?.hash).toMatch(/^[0-9a-f]{64}$/);
    const { createHmac } = await import('node:crypto');
    expect(out('sign')?.signature).toBe(
      `sha256=${createHmac('sha256', hmacKey).update('payload').digest('hex')}`,
    );
    expect(out('uuid')?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(out('unb64')?.text).toBe('# Hello world');
    expect(out('gunz')?.content).toBe('# Hello world');
    expect(out('unpack')?.files).toEqual([{ name: 'a/readme.md', content: '# Hello world', bytes: 13 }]);
    // The key is in no stored input or output of the run.
    const stored = await db.sql`select input, output from steps where run_id = ${view.runId}`;
    expect(JSON.stringify(stored)).not.toContain(hmacKey);
  });

  const lol = (levels: number) => {
    let entities = '<!ENTITY lol0 "lol">';
    for (let level = 1; level <= levels; level++) {
      entities += `<!ENTITY lol${level} "${`&lol${level - 1};`.repeat(10)}">`;
    }
    return `<?xml version="1.0"?><!DOCTYPE lolz [${entities}]><lolz>&lol${levels};</lolz>`;
  };
  const bombGzip = Buffer.from(gzipSync(new Uint8Array(100_000_000))).toString('base64');
  const bombZip = Buffer.from(
    zipSync({ 'a.bin': new Uint8Array(60_000_000), 'b.bin': new Uint8Array(60_000_000) }),
  ).toString('base64');
  const deepHtml = `${'<div>'.repeat(100_000)}x${'</div>'.repeat(100_000)}`;
  const garbage = Buffer.from(Array.from({ length: 4096 }, (_, at) => (at * 7919 + 13) % 256)).toString(
    'base64',
  );

  const hostile: [string, Node, string][] = [
    ['billion laughs', { id: 's', uses: 'xml.toJson', with: { xml: lol(9) } }, 'E_XML_ENTITIES'],
    ['truncated XML', { id: 's', uses: 'xml.toJson', with: { xml: '<a><b>text</b><c' } }, 'E_XML_INVALID'],
    ['unclosed XML', { id: 's', uses: 'xml.toJson', with: { xml: '<a><b></a>' } }, 'E_XML_INVALID'],
    [
      'deep XML',
      { id: 's', uses: 'xml.toJson', with: { xml: `${'<a>'.repeat(50_000)}${'</a>'.repeat(50_000)}` } },
      'E_XML_TOO_DEEP',
    ],
    [
      'a gzip bomb',
      { id: 's', uses: 'compression.gunzip', with: { base64: bombGzip } },
      'E_TOO_LARGE_DECOMPRESSED',
    ],
    [
      'a zip bomb',
      { id: 's', uses: 'compression.unzip', with: { base64: bombZip } },
      'E_TOO_LARGE_DECOMPRESSED',
    ],
    [
      'random bytes to gunzip',
      { id: 's', uses: 'compression.gunzip', with: { base64: garbage } },
      'E_CORRUPT_ARCHIVE',
    ],
    [
      'random bytes to unzip',
      { id: 's', uses: 'compression.unzip', with: { base64: garbage } },
      'E_CORRUPT_ARCHIVE',
    ],
    [
      'random bytes as text',
      { id: 's', uses: 'crypto.base64Decode', with: { base64: garbage } },
      'E_NOT_TEXT',
    ],
    [
      'deeply nested HTML',
      { id: 's', uses: 'html.extract', with: { html: deepHtml, selectors: { x: 'div' } } },
      'E_HTML_TOO_DEEP',
    ],
    [
      'deeply nested HTML to Markdown',
      { id: 's', uses: 'markdown.fromHtml', with: { html: deepHtml } },
      'E_HTML_TOO_DEEP',
    ],
    [
      'an invalid selector computed at run time',
      { id: 's', uses: 'html.extract', with: { html: '<p>x</p>', selectors: { x: "{{ 'p[[' }}" } } },
      'E_HTML_SELECTOR',
    ],
    [
      'deeply nested Markdown',
      { id: 's', uses: 'markdown.toHtml', with: { markdown: `${'>'.repeat(100_000)} x` } },
      'E_MARKDOWN_TOO_DEEP',
    ],
    ['hmac without a credential', { id: 's', uses: 'crypto.hmac', with: { data: 'x' } }, 'E_CREDENTIAL'],
  ];

  for (const [what, node, code] of hostile) {
    it(`${what}: the step fails with ${code}, not retried, and the worker runs the next workflow`, async () => {
      const { view, step } = await runOne({ ...node, retry: { maxAttempts: 3 } });
      expect(view.status).toBe('failed');
      expect(step?.error).toMatchObject({ code, retryable: false });
      expect(String((step?.error as { message?: string } | undefined)?.message).length).toBeGreaterThan(20);
      await expectWorkerHealthy();
    });
  }

  it('random garbage in one workflow per action: every step ends succeeded or with its own code, never a crash', async () => {
    const garbageText = fc.sample(fc.string({ unit: 'binary', maxLength: 300 }), { numRuns: 6, seed: 4711 });
    const garbageBytes = fc.sample(fc.uint8Array({ minLength: 1, maxLength: 300 }), {
      numRuns: 6,
      seed: 4712,
    });
    const nodes: Node[] = [
      ...garbageText.map((text, at) => ({ id: `x${at}`, uses: 'xml.toJson', with: { xml: text } })),
      ...garbageText.map((text, at) => ({
        id: `h${at}`,
        uses: 'html.extract',
        with: { html: text, selectors: { a: 'a' } },
      })),
      ...garbageText.map((text, at) => ({ id: `m${at}`, uses: 'markdown.toHtml', with: { markdown: text } })),
      ...garbageBytes.map((bytes, at) => ({
        id: `g${at}`,
        uses: 'compression.gunzip',
        with: { base64: Buffer.from(bytes).toString('base64') },
      })),
      ...garbageBytes.map((bytes, at) => ({
        id: `z${at}`,
        uses: 'compression.unzip',
        with: { base64: Buffer.from(bytes).toString('base64') },
      })),
    ];
    // Independent nodes (no edges) and onError "continue": one bad input does not stop the others.
    const id = await createWorkflow(
      'garbage',
      nodes.map((node) => ({ ...node, onError: 'continue' })),
    );
    const view = await runWorkflow(id);
    expect(view.steps).toHaveLength(nodes.length);
    for (const step of view.steps) {
      if (step.status === 'succeeded') continue;
      expect(step.status, step.id).toBe('failed');
      const error = step.error as { code?: string; retryable?: boolean };
      expect(error.code, step.id).toMatch(/^E_[A-Z_]+$/);
      expect(error.code, step.id).not.toBe('E_CONNECTOR');
      expect(error.retryable, step.id).toBe(false);
    }
    // Random bytes are never gzip.
    const gunzips = view.steps.filter((step) => step.id.startsWith('g'));
    expect(gunzips.map((step) => step.status)).toEqual(gunzips.map(() => 'failed'));
    await expectWorkerHealthy();
  });
});
