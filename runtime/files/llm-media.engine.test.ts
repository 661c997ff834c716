import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createUser, toPrincipal } from '../../access/index.ts';
import { evaluatePort } from '../../agent/runtime-ports.ts';
import { createHttpServer } from '../../app/server.ts';
import { apiTokenResolver } from '../../app/token-resolver.ts';
import {
  createCredentialStore,
  credentialTypesOf,
  FileRef,
  httpConnector,
  llmConnector,
  parseSecretKey,
} from '../../connectors/index.ts';
import type { RecordedTranscription } from '../../connectors/llm/fake-media.ts';
import { tinyPng } from '../../connectors/llm/fake-media.ts';
import { type LlmFake, startLlmFake } from '../../connectors/llm/fake-server.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { dryRunWorkflow } from '../../tools/dry-run.ts';
import type { EngineWorker } from '../engine/worker.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { type RunView, waitForRun } from '../store/run-store.ts';
import { createCatalog } from '../workflow/catalog.ts';
import type { WorkflowDocument } from '../workflow/index.ts';

// The llm connector's media actions on the real worker: files downloaded with http.request from a local server
// (a real PNG, a WAV made here, a PDF) go to llm.describeImage and llm.transcribe, whose requests the LLM fake
// checks in OpenAI's and Anthropic's wire formats; llm.generateImage stores the image a later step uploads. The
// limits, the types and the provider without the feature fail before anything is sent.

const SHARED = 'shared-token-0123456789abcdef';
const SECRET_KEY = Buffer.alloc(32, 5).toString('base64');
const API_KEY = 'sk-media-canary-0123456789abcdef';
const MiB = 1024 * 1024;
let db: TestDatabase;
let engine: EngineServices;
let worker: EngineWorker;
let app: FastifyInstance;
let fake: LlmFake;
let vendor: Server;
let vendorUrl = '';
let api = '';
let token = '';
const uploads: { contentType: string; size: number; sha256: string }[] = [];

const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const PNG = tinyPng(3, 2, [10, 200, 30]);
const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n',
  'latin1',
);

/** A mono 16-bit PCM WAV of a 440 Hz tone. */
function wav(seconds: number, rate = 16_000): Buffer {
  const samples = Math.round(seconds * rate);
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++)
    data.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / rate) * 8000), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}
const SPEECH = wav(0.25);
/** A PNG signature and header followed by bytes: recognised as PNG, over Anthropic's image limit. */
const BIG_PNG = Buffer.concat([PNG.subarray(0, 33), Buffer.alloc(4 * MiB, 7)]);
/** 16 kHz 16-bit mono is 32,000 bytes a second: 820 s is just over 25 MiB. */
const BIG_WAV = wav(820);

async function readRequest(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const served: Record<string, Buffer> = {
  '/files/pixel': PNG,
  '/files/contract.pdf': PDF,
  '/files/voice-message': SPEECH,
  '/files/notes.txt': Buffer.from('not an image\n'),
  '/files/big.png': BIG_PNG,
  '/files/long.wav': BIG_WAV,
};

async function handleVendor(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://vendor').pathname;
  const body = served[path];
  if (body) {
    // Sent as octet-stream (text as text/plain): the store records what the bytes are.
    response.writeHead(200, {
      'content-type': path.endsWith('.txt') ? 'text/plain' : 'application/octet-stream',
      'content-length': String(body.length),
    });
    response.end(body);
    return;
  }
  if (path === '/upload') {
    const received = await readRequest(request);
    uploads.push({
      contentType: String(request.headers['content-type'] ?? ''),
      size: received.length,
      sha256: sha(received),
    });
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{"ok":true}');
    return;
  }
  response.writeHead(404);
  response.end();
}

type Reply = { status: number; body: Record<string, unknown> };
async function call(auth: string, method: string, path: string, body?: unknown): Promise<Reply> {
  const response = await fetch(`${api}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${auth}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

let counter = 0;
/** Runs the nodes one after another (the fake's scripted answers are taken in order). */
async function run(nodes: Record<string, unknown>[]): Promise<RunView> {
  counter += 1;
  const edges = nodes
    .slice(1)
    .map((node, index) => ({ from: String(nodes[index]?.id), to: String(node.id) }));
  const created = await call(token, 'POST', '/api/workflows', {
    document: { schemaVersion: 1, name: `llm media ${counter}`, trigger: { type: 'manual' }, nodes, edges },
    scope: 'private',
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const started = await call(token, 'POST', `/api/workflows/${String(created.body.id)}/runs`, {});
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  return waitForRun(db.sql, String(started.body.runId), { timeoutMs: 30_000 });
}

const download = (id: string, path: string) => ({
  id,
  uses: 'http.request',
  retry: { maxAttempts: 1 },
  with: { url: `${vendorUrl}${path}`, responseType: 'file' },
});
const llm = (id: string, uses: string, credential: string, withValue: Record<string, unknown>) => ({
  id,
  uses: `llm.${uses}`,
  credential,
  retry: { maxAttempts: 1 },
  with: withValue,
});
const stepOf = (view: RunView, id: string) => {
  const step = view.steps.find((candidate) => candidate.id === id);
  if (!step) throw new Error(`no step ${id} in ${JSON.stringify(view.steps)}`);
  return step as { status: string; output: unknown; error: unknown };
};
const errorOf = (view: RunView, id: string) =>
  stepOf(view, id).error as { code: string; message: string; hint: string };
const sentTo = (path: string) => fake.requests.filter((request) => request.path === path);

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 10 });
  fake = await startLlmFake({ apiKey: API_KEY });
  vendor = createServer((request, response) => {
    handleVendor(request, response).catch((error: unknown) => {
      response.writeHead(500);
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => vendor.listen(0, '127.0.0.1', resolve));
  const address = vendor.address();
  vendorUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const database = { sql: db.sql, url: db.url, kind: 'external' as const, close: async () => {} };
  const connectors = [httpConnector, llmConnector];
  engine = await createEngineServices(database, {
    env: {
      VMESH_SECRET_KEY: SECRET_KEY,
      VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1',
      VMESH_FILE_MAX_BYTES: String(30 * MiB),
      VMESH_RUN_FILES_MAX_BYTES: String(64 * MiB),
    },
    connectors,
  });
  app = createHttpServer({
    database,
    startedAt: Date.now(),
    version: 'test',
    env: {},
    config: { host: '127.0.0.1', apiToken: SHARED, publicUrl: 'http://localhost' },
    principalResolvers: [apiTokenResolver(db.sql)],
  });
  engine.registerHttp(app, { publicUrl: 'http://127.0.0.1:3000' });
  api = await app.listen({ host: '127.0.0.1', port: 0 });
  worker = await engine.startWorker({ concurrency: 2 });
  const alice = toPrincipal(
    await createUser(db.sql, { name: 'alice', role: 'builder' }),
    'cli',
    'local:alice',
  );
  const minted = await call(SHARED, 'POST', '/api/tokens', { user: 'alice', name: 'alice-token' });
  token = String(minted.body.token);
  const store = createCredentialStore({
    sql: db.sql,
    key: parseSecretKey(SECRET_KEY),
    types: credentialTypesOf(connectors),
  });
  const openai = { provider: 'openai', apiKey: API_KEY, baseUrl: `${fake.url}/v1`, model: 'gpt-vision-test' };
  await store.set('openai', 'llm', openai, alice);
  await store.set(
    'anthropic',
    'llm',
    { provider: 'anthropic', apiKey: API_KEY, baseUrl: fake.url, model: 'claude-test' },
    alice,
  );
  await store.set('whisper', 'llm', { ...openai, model: 'whisper-test' }, alice);
});

afterAll(async () => {
  await worker?.stop();
  await app?.close();
  await fake?.close();
  vendor?.closeAllConnections();
  await new Promise((resolve) => vendor?.close(resolve));
  await db?.drop();
});

beforeEach(() => {
  fake.requests.length = 0;
  uploads.length = 0;
});

describe('llm.describeImage', () => {
  it('OpenAI: sends the downloaded PNG as an image_url data URL after the prompt, and returns the answer', async () => {
    fake.reply('A tiny green rectangle.');
    const view = await run([
      download('fetch', '/files/pixel'),
      llm('look', 'describeImage', 'openai', {
        file: '{{ steps.fetch.output.file }}',
        prompt: 'What is in this picture?',
        detail: 'low',
        maxTokens: 100,
      }),
    ]);
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    expect(stepOf(view, 'look').output).toEqual({
      text: 'A tiny green rectangle.',
      model: 'gpt-vision-test',
      stopReason: 'stop',
      usage: { inputTokens: expect.any(Number), outputTokens: expect.any(Number) },
    });
    const [sent] = sentTo('/v1/chat/completions');
    expect(sent?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(sent?.body).toMatchObject({ model: 'gpt-vision-test', max_tokens: 100 });
    expect((sent?.body as { messages: unknown } | undefined)?.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in this picture?' },
          {
            type: 'image_url',
            image_url: { url: `data:image/png;base64,${PNG.toString('base64')}`, detail: 'low' },
          },
        ],
      },
    ]);
  });

  it('OpenAI: sends a PDF as a file part with its name and a data URL', async () => {
    fake.reply('A contract with no pages.');
    const view = await run([
      download('fetch', '/files/contract.pdf'),
      llm('read', 'describeImage', 'openai', { file: '{{ steps.fetch.output.file }}', prompt: 'Summarise.' }),
    ]);
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    expect((stepOf(view, 'read').output as { text: string }).text).toBe('A contract with no pages.');
    const content = (
      sentTo('/v1/chat/completions')[0]?.body as { messages: { content: unknown[] }[] } | undefined
    )?.messages[0]?.content;
    expect(content?.[1]).toEqual({
      type: 'file',
      file: { filename: 'contract.pdf', file_data: `data:application/pdf;base64,${PDF.toString('base64')}` },
    });
  });

  it('Anthropic: an image block and a document block with base64 sources, before the text', async () => {
    fake.reply('Green.', 'An empty PDF.');
    const view = await run([
      download('png', '/files/pixel'),
      download('pdf', '/files/contract.pdf'),
      llm('image', 'describeImage', 'anthropic', {
        file: '{{ steps.png.output.file }}',
        prompt: 'Which colour?',
        system: 'Answer in one word.',
      }),
      llm('document', 'describeImage', 'anthropic', {
        file: '{{ steps.pdf.output.file }}',
        prompt: 'What is it?',
      }),
    ]);
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    expect(stepOf(view, 'image').output).toMatchObject({
      text: 'Green.',
      model: 'claude-test',
      stopReason: 'end_turn',
    });
    expect(stepOf(view, 'document').output).toMatchObject({ text: 'An empty PDF.' });
    const [image, document] = sentTo('/v1/messages');
    // The Anthropic key, as x-api-key or (newer SDKs) as a bearer token.
    expect(String(image?.headers['x-api-key'] ?? image?.headers.authorization)).toContain(API_KEY);
    expect(image?.body).toMatchObject({ model: 'claude-test', system: 'Answer in one word.' });
    expect((image?.body as { messages: unknown } | undefined)?.messages).toEqual([
      {
        role: 'user',
        content: [
          {
            type: 'image',
            source: { type: 'base64', media_type: 'image/png', data: PNG.toString('base64') },
          },
          { type: 'text', text: 'Which colour?' },
        ],
      },
    ]);
    expect(
      (document?.body as { messages: { content: unknown[] }[] } | undefined)?.messages[0]?.content[0],
    ).toEqual({
      type: 'document',
      source: { type: 'base64', media_type: 'application/pdf', data: PDF.toString('base64') },
    });
  });

  it('refuses a file that is no image or PDF, and an image over Anthropic’s limit, before sending anything', async () => {
    const view = await run([
      download('text', '/files/notes.txt'),
      llm('look', 'describeImage', 'openai', { file: '{{ steps.text.output.file }}', prompt: 'What is it?' }),
    ]);
    expect(view.status).toBe('failed');
    expect(errorOf(view, 'look')).toMatchObject({
      code: 'E_UNSUPPORTED_MEDIA_TYPE',
      message: expect.stringContaining('text/plain'),
    });
    const big = await run([
      download('big', '/files/big.png'),
      llm('look', 'describeImage', 'anthropic', {
        file: '{{ steps.big.output.file }}',
        prompt: 'What is it?',
      }),
    ]);
    expect((stepOf(big, 'big').output as { file: { contentType: string } }).file.contentType).toBe(
      'image/png',
    );
    expect(errorOf(big, 'look')).toMatchObject({
      code: 'E_FILE_TOO_LARGE',
      message: expect.stringContaining(String((5 * MiB * 3) / 4)),
    });
    expect(fake.requests).toHaveLength(0);
  });

  it('the fake refuses an image whose bytes are not its media type, as Anthropic does (and the step says so)', async () => {
    // The step sends what the store sniffed, so only a forged request can disagree: check the fake's check.
    const response = await fetch(`${fake.url}/v1/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-api-key': API_KEY,
        'anthropic-version': '2023-06-01',
      },
      body: JSON.stringify({
        model: 'claude-test',
        max_tokens: 10,
        messages: [
          {
            role: 'user',
            content: [
              {
                type: 'image',
                source: { type: 'base64', media_type: 'image/jpeg', data: PNG.toString('base64') },
              },
            ],
          },
        ],
      }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      type: 'error',
      error: {
        type: 'invalid_request_error',
        message: expect.stringContaining('does not match the provided media type'),
      },
    });
  });
});

describe('llm.transcribe', () => {
  it('uploads the WAV as multipart/form-data with the fields OpenAI takes and a .wav name, and returns the text', async () => {
    fake.reply('Hello, please call me back.');
    const view = await run([
      download('fetch', '/files/voice-message'),
      llm('words', 'transcribe', 'whisper', {
        file: '{{ steps.fetch.output.file }}',
        language: 'en',
        prompt: 'VelocityMesh, Anna',
      }),
    ]);
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    expect(stepOf(view, 'words').output).toEqual({
      text: 'Hello, please call me back.',
      model: 'whisper-test',
    });
    const [sent] = sentTo('/v1/audio/transcriptions');
    expect(sent?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(String(sent?.headers['content-type'])).toMatch(/^multipart\/form-data; boundary=/);
    expect(Number(sent?.headers['content-length'])).toBeGreaterThan(SPEECH.length);
    expect(sent?.body as RecordedTranscription).toEqual({
      fields: {
        model: 'whisper-test',
        response_format: 'json',
        language: 'en',
        prompt: 'VelocityMesh, Anna',
      },
      file: {
        fileName: 'voice-message.wav',
        contentType: 'audio/wav',
        size: SPEECH.length,
        sha256: sha(SPEECH),
      },
    });
  });

  it('takes the model from `with` over the credential’s', async () => {
    const view = await run([
      download('fetch', '/files/voice-message'),
      llm('words', 'transcribe', 'openai', {
        file: '{{ steps.fetch.output.file }}',
        model: 'gpt-4o-mini-transcribe',
      }),
    ]);
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    expect(stepOf(view, 'words').output).toEqual({
      text: `echo: transcript of voice-message.wav (${SPEECH.length} bytes)`,
      model: 'gpt-4o-mini-transcribe',
    });
    expect(
      (sentTo('/v1/audio/transcriptions')[0]?.body as RecordedTranscription | undefined)?.fields,
    ).toEqual({
      model: 'gpt-4o-mini-transcribe',
      response_format: 'json',
    });
  });

  it('fails clearly for Anthropic, for a file that is not audio and for one over 25 MiB, sending nothing', async () => {
    const view = await run([
      download('fetch', '/files/voice-message'),
      llm('words', 'transcribe', 'anthropic', { file: '{{ steps.fetch.output.file }}' }),
    ]);
    expect(errorOf(view, 'words')).toMatchObject({
      code: 'E_UNSUPPORTED_PROVIDER',
      message: expect.stringContaining('no speech-to-text'),
      hint: expect.stringContaining('"provider": "openai"'),
    });
    const image = await run([
      download('fetch', '/files/pixel'),
      llm('words', 'transcribe', 'whisper', { file: '{{ steps.fetch.output.file }}' }),
    ]);
    expect(errorOf(image, 'words')).toMatchObject({
      code: 'E_UNSUPPORTED_MEDIA_TYPE',
      message: expect.stringContaining('image/png'),
    });
    const long = await run([
      download('fetch', '/files/long.wav'),
      llm('words', 'transcribe', 'whisper', { file: '{{ steps.fetch.output.file }}' }),
    ]);
    expect(stepOf(long, 'fetch').status).toBe('succeeded');
    expect(errorOf(long, 'words')).toMatchObject({
      code: 'E_FILE_TOO_LARGE',
      message: expect.stringContaining(String(25 * MiB)),
    });
    expect(fake.requests).toHaveLength(0);
  });

  it('maps the server’s refusal to a step error that names it, with a hint', async () => {
    fake.failNext('transcriptions', {
      status: 400,
      body: {
        error: {
          message: 'model_not_supported_for_transcription',
          type: 'invalid_request_error',
          param: 'model',
          code: null,
        },
      },
    });
    const view = await run([
      download('fetch', '/files/voice-message'),
      llm('words', 'transcribe', 'openai', { file: '{{ steps.fetch.output.file }}' }),
    ]);
    expect(errorOf(view, 'words')).toMatchObject({
      code: 'E_REQUEST',
      message: expect.stringContaining('model_not_supported_for_transcription'),
      hint: expect.stringContaining('transcription model'),
    });
  });
});

describe('llm.generateImage', () => {
  it('stores the b64_json image as a file of the run, which a later step uploads byte for byte', async () => {
    const view = await run([
      llm('draw', 'generateImage', 'openai', {
        prompt: 'A blue square',
        model: 'gpt-image-1.5',
        size: '64x48',
        quality: 'low',
      }),
      {
        id: 'upload',
        uses: 'http.request',
        retry: { maxAttempts: 1 },
        with: { method: 'POST', url: `${vendorUrl}/upload`, body: '{{ steps.draw.output.file }}' },
      },
    ]);
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    const drawn = tinyPng(64, 48, [0, 128, 255]);
    expect(stepOf(view, 'draw').output).toEqual({
      file: {
        id: expect.stringMatching(/^f_/),
        name: 'image.png',
        contentType: 'image/png',
        size: drawn.length,
        sha256: sha(drawn),
      },
      model: 'gpt-image-1.5',
    });
    // GPT image models answer in base64 and refuse `response_format`.
    expect(sentTo('/v1/images/generations')[0]?.body).toEqual({
      model: 'gpt-image-1.5',
      prompt: 'A blue square',
      n: 1,
      size: '64x48',
      quality: 'low',
    });
    expect(uploads).toEqual([{ contentType: 'image/png', size: drawn.length, sha256: sha(drawn) }]);
  });

  it('asks other models for b64_json, keeps the revised prompt and the file name given', async () => {
    const view = await run([
      llm('draw', 'generateImage', 'openai', {
        prompt: 'A cat',
        model: 'dall-e-3',
        size: '32x32',
        fileName: 'cat.png',
      }),
    ]);
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    expect(stepOf(view, 'draw').output).toMatchObject({
      file: { name: 'cat.png', contentType: 'image/png', sha256: sha(tinyPng(32, 32, [0, 128, 255])) },
      model: 'dall-e-3',
      revisedPrompt: 'A picture: A cat',
    });
    expect(sentTo('/v1/images/generations')[0]?.body).toMatchObject({ response_format: 'b64_json' });
  });

  it('downloads the image when a compatible server answers with a URL', async () => {
    fake.answerImagesWithUrls(true);
    try {
      const view = await run([
        llm('draw', 'generateImage', 'openai', { prompt: 'A dog', model: 'local-diffusion', size: '16x16' }),
      ]);
      expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
      const drawn = tinyPng(16, 16, [0, 128, 255]);
      expect(stepOf(view, 'draw').output).toMatchObject({
        file: { name: 'image.png', contentType: 'image/png', size: drawn.length, sha256: sha(drawn) },
        model: 'local-diffusion',
      });
      expect(
        fake.requests.map((request) => `${request.method} ${request.path.replace(/[0-9a-f]{16}/, 'ID')}`),
      ).toEqual(['POST /v1/images/generations', 'GET /generated/ID.png']);
    } finally {
      fake.answerImagesWithUrls(false);
    }
  });

  it('fails clearly for Anthropic, sending nothing', async () => {
    const view = await run([llm('draw', 'generateImage', 'anthropic', { prompt: 'A cat' })]);
    expect(errorOf(view, 'draw')).toMatchObject({
      code: 'E_UNSUPPORTED_PROVIDER',
      message: expect.stringContaining('no image generation'),
    });
    expect(fake.requests).toHaveLength(0);
  });

  it('a dry run simulates a placeholder file that the next step accepts', async () => {
    const document = {
      schemaVersion: 1,
      name: 'draw and upload',
      trigger: { type: 'manual' },
      nodes: [
        { id: 'draw', uses: 'llm.generateImage', credential: 'openai', with: { prompt: 'A cat' } },
        {
          id: 'upload',
          uses: 'http.request',
          with: { method: 'POST', url: 'https://example.com/upload', body: '{{ steps.draw.output.file }}' },
        },
      ],
      edges: [{ from: 'draw', to: 'upload' }],
    } as unknown as WorkflowDocument;
    const report = await dryRunWorkflow(
      document,
      {},
      {
        catalog: createCatalog([httpConnector, llmConnector]),
        evaluate: evaluatePort,
      },
    );
    const [draw, upload] = report.steps;
    expect(draw?.status).toBe('simulated');
    const file = FileRef.parse((draw?.output as { file: unknown } | undefined)?.file);
    expect(file).toMatchObject({ name: 'image.png', contentType: 'image/png' });
    expect(upload?.input).toMatchObject({ body: file });
    expect(upload?.warnings ?? []).not.toContainEqual(expect.stringContaining('do not fit'));
  });

  it('a dry run gives a downloaded file a placeholder reference that llm.describeImage accepts', async () => {
    const document = {
      schemaVersion: 1,
      name: 'download and look',
      trigger: { type: 'manual' },
      nodes: [
        {
          id: 'fetch',
          uses: 'http.request',
          with: { url: 'https://example.com/a.png', responseType: 'file' },
        },
        {
          id: 'look',
          uses: 'llm.describeImage',
          credential: 'openai',
          with: { file: '{{ steps.fetch.output.file }}', prompt: 'What is it?' },
        },
      ],
      edges: [{ from: 'fetch', to: 'look' }],
    } as unknown as WorkflowDocument;
    const report = await dryRunWorkflow(
      document,
      {},
      { catalog: createCatalog([httpConnector, llmConnector]), evaluate: evaluatePort },
    );
    const look = report.steps.find((step) => step.id === 'look');
    expect(FileRef.safeParse((look?.input as { file: unknown } | undefined)?.file).success).toBe(true);
    expect(look?.warnings).toBeUndefined();
    expect(look?.output).toMatchObject({ text: expect.any(String) });
  });
});

describe('secrets', () => {
  it('no step output or error of these runs holds the API key', async () => {
    const rows =
      await db.sql`select coalesce(output::text, '') || coalesce(error::text, '') as data from steps`;
    expect(rows.length).toBeGreaterThan(10);
    for (const row of rows) expect(String(row.data)).not.toContain(API_KEY);
  });
});
