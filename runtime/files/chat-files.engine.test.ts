import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { evaluatePort } from '../../agent/runtime-ports.ts';
import { type DiscordFake, startDiscordFake } from '../../connectors/discord/fake-server.ts';
import {
  createCredentialStore,
  credentialTypesOf,
  discordConnector,
  FileRef,
  httpConnector,
  parseSecretKey,
  slackConnector,
} from '../../connectors/index.ts';
import { SIMULATED_FILE } from '../../connectors/sdk/files.ts';
import { type SlackFake, startSlackFake } from '../../connectors/slack/fake-server.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { dryRunWorkflow } from '../../tools/dry-run.ts';
import { startRun } from '../engine/engine.ts';
import type { EngineWorker } from '../engine/worker.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { type RunView, waitForRun } from '../store/run-store.ts';
import { createCatalog } from '../workflow/catalog.ts';
import type { WorkflowDocument } from '../workflow/index.ts';

// Files in chat connectors on the real worker (real Postgres file store, the safe fetch, the Slack and Discord wire
// fakes): a file downloaded with http.request is uploaded to Slack in its three steps; a file a person shared in
// Slack is downloaded with the bot token and attached to Discord messages (bot and webhook, multipart); a revoked
// Slack token fails at once, Slack's and Discord's 429s are retried after Retry-After; a dry run simulates the file.

const SECRET_KEY = Buffer.alloc(32, 7).toString('base64');
const SLACK_TOKEN = 'xoxb-chatfiles-canary-0123456789';
const REVOKED_TOKEN = 'xoxb-chatfiles-revoked-0123456789';
const BOT_TOKEN = 'discord-bot-canary-token.abcdef.0123456789abcdefghij';
const GENERAL = 'C0000000001';
const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const REPORT = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(300_000)]);

let db: TestDatabase;
let engine: EngineServices;
let worker: EngineWorker;
let slack: SlackFake;
let discord: DiscordFake;
let vendor: Server;
let vendorUrl = '';

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 10 });
  slack = await startSlackFake({ token: SLACK_TOKEN, extraTokens: [REVOKED_TOKEN] });
  slack.revokeToken(REVOKED_TOKEN);
  discord = await startDiscordFake({ botToken: BOT_TOKEN });
  vendor = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/pdf', 'content-length': String(REPORT.length) });
    response.end(REPORT);
  });
  await new Promise<void>((resolve) => vendor.listen(0, '127.0.0.1', resolve));
  const address = vendor.address();
  vendorUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const database = { sql: db.sql, url: db.url, kind: 'external' as const, close: async () => {} };
  const connectors = [httpConnector, slackConnector, discordConnector];
  engine = await createEngineServices(database, {
    env: { VMESH_SECRET_KEY: SECRET_KEY, VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' },
    connectors,
  });
  engine.deps.connectorEnv.baseUrls.slack = slack.apiUrl;
  engine.deps.connectorEnv.baseUrls.discord = discord.url;
  const store = createCredentialStore({
    sql: db.sql,
    key: parseSecretKey(SECRET_KEY),
    types: credentialTypesOf(connectors),
  });
  await store.set('slack', 'slack', { token: SLACK_TOKEN });
  await store.set('slackRevoked', 'slack', { token: REVOKED_TOKEN });
  await store.set('discord', 'discord', { botToken: BOT_TOKEN, webhookUrl: discord.webhookUrl });
  worker = await engine.startWorker({ concurrency: 2 });
});

afterAll(async () => {
  await worker?.stop();
  await slack?.close();
  await discord?.close();
  vendor?.closeAllConnections();
  await new Promise((resolve) => vendor?.close(resolve));
  await db?.drop();
});

beforeEach(() => {
  discord.uploads.length = 0;
});

const retry = { maxAttempts: 3, initialDelayMs: 50, maxDelayMs: 200 };
let counter = 0;
/** Runs the nodes one after another and returns the run and its events. */
async function run(nodes: Record<string, unknown>[]) {
  counter += 1;
  const edges = nodes
    .slice(1)
    .map((node, index) => ({ from: String(nodes[index]?.id), to: String(node.id) }));
  const { id } = await engine.workflows.create({
    schemaVersion: 1,
    name: `chat files ${counter}`,
    trigger: { type: 'manual' },
    nodes,
    edges,
  } as WorkflowDocument);
  const { runId } = await startRun(db.sql, id, {});
  const view = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
  const events = await db.sql`select type, payload, at from run_events where run_id = ${runId} order by seq`;
  return { view, events };
}
const stepOf = (view: RunView, id: string) => {
  const step = view.steps.find((candidate) => candidate.id === id);
  if (!step) throw new Error(`no step ${id} in ${JSON.stringify(view.steps)}`);
  return step as { status: string; output: unknown; error: unknown; attempts?: number };
};

describe('slack.uploadFile on the worker', () => {
  it('uploads a file downloaded by http.request: the bytes reach Slack intact and are shared in the channel', async () => {
    const { view } = await run([
      { id: 'fetch', uses: 'http.request', with: { url: `${vendorUrl}/report.pdf`, responseType: 'file' } },
      {
        id: 'share',
        uses: 'slack.uploadFile',
        credential: 'slack',
        retry,
        with: { channel: GENERAL, file: '{{ steps.fetch.output.file }}', initialComment: 'The report' },
      },
    ]);
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    const output = stepOf(view, 'share').output as { fileId: string; title: string };
    expect(output).toMatchObject({ channel: GENERAL, title: 'report.pdf' });
    const held = slack.files().find((file) => file.id === output.fileId);
    expect(held?.sha256).toBe(sha(REPORT));
    expect(held?.shares).toEqual([
      { channel: GENERAL, ts: expect.any(String), initialComment: 'The report' },
    ]);
  });

  it('retries a 429 of the upload host after Retry-After, then succeeds', async () => {
    slack.fail('upload', { status: 429, body: 'rate limited', headers: { 'retry-after': '1' } });
    const { view, events } = await run([
      { id: 'fetch', uses: 'http.request', with: { url: `${vendorUrl}/again.pdf`, responseType: 'file' } },
      {
        id: 'share',
        uses: 'slack.uploadFile',
        credential: 'slack',
        retry,
        with: { channel: GENERAL, file: '{{ steps.fetch.output.file }}' },
      },
    ]);
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    const retrying = events.find((event) => event.type === 'step.retrying');
    const succeeded = events.findLast((event) => event.type === 'step.succeeded');
    if (!retrying || !succeeded) throw new Error('expected step.retrying then step.succeeded');
    expect(retrying.payload).toMatchObject({ error: { code: 'E_RATE_LIMITED' } });
    expect((succeeded.at as Date).getTime() - (retrying.at as Date).getTime()).toBeGreaterThanOrEqual(1000);
  });

  it('fails at once with a revoked token (E_AUTH, not retried)', async () => {
    const before = slack.hits.filter((hit) => hit.method === 'files.getUploadURLExternal').length;
    const { view, events } = await run([
      { id: 'fetch', uses: 'http.request', with: { url: `${vendorUrl}/r.pdf`, responseType: 'file' } },
      {
        id: 'share',
        uses: 'slack.uploadFile',
        credential: 'slackRevoked',
        retry,
        with: { channel: GENERAL, file: '{{ steps.fetch.output.file }}' },
      },
    ]);
    expect(view.status).toBe('failed');
    expect(stepOf(view, 'share').error).toMatchObject({
      code: 'E_AUTH',
      details: { slackError: 'token_revoked' },
    });
    expect(events.map((event) => event.type)).not.toContain('step.retrying');
    expect(slack.hits.filter((hit) => hit.method === 'files.getUploadURLExternal').length).toBe(before + 1);
  });
});

describe('slack.downloadFile into Discord on the worker', () => {
  it('downloads a shared Slack file and attaches it to a bot message and a webhook message, bytes intact', async () => {
    const photo = randomBytes(180_000);
    const shared = slack.addFile({ name: 'photo.jpg', bytes: photo, mimetype: 'image/jpeg' });
    const { view } = await run([
      { id: 'fetch', uses: 'slack.downloadFile', credential: 'slack', with: { fileId: shared.id } },
      {
        id: 'bot',
        uses: 'discord.sendMessage',
        credential: 'discord',
        with: {
          channelId: discord.channelId,
          content: 'From Slack',
          files: ['{{ steps.fetch.output.file }}'],
        },
      },
      {
        id: 'hook',
        uses: 'discord.sendWebhookMessage',
        credential: 'discord',
        with: { content: 'Also here', files: ['{{ steps.fetch.output.file }}'] },
      },
    ]);
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    const file = FileRef.parse((stepOf(view, 'fetch').output as { file: unknown }).file);
    expect(file).toMatchObject({ name: 'photo.jpg', size: photo.length, sha256: sha(photo) });
    expect(discord.uploads).toEqual([
      expect.objectContaining({ field: 'files[0]', filename: 'photo.jpg', sha256: sha(photo) }),
      expect.objectContaining({ field: 'files[0]', filename: 'photo.jpg', sha256: sha(photo) }),
    ]);
    const download = slack.requests.filter((request) => request.path.startsWith('/files-pri/')).at(-1);
    expect(download?.headers.authorization).toBe(`Bearer ${SLACK_TOKEN}`);
  });

  it('retries a Discord 429 on a message with files after retry_after; the file arrives once', async () => {
    const shared = slack.addFile({ name: 'chart.png', bytes: randomBytes(5000), mimetype: 'image/png' });
    discord.fail('POST /channels/:channelId/messages', {
      status: 429,
      headers: { 'retry-after': '1', 'x-ratelimit-scope': 'user' },
      body: { message: 'You are being rate limited.', retry_after: 1, global: false },
    });
    const { view, events } = await run([
      { id: 'fetch', uses: 'slack.downloadFile', credential: 'slack', with: { url: shared.url_private } },
      {
        id: 'bot',
        uses: 'discord.sendMessage',
        credential: 'discord',
        retry,
        with: { channelId: discord.channelId, files: ['{{ steps.fetch.output.file }}'] },
      },
    ]);
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    expect(events.find((event) => event.type === 'step.retrying')?.payload).toMatchObject({
      error: { code: 'E_RATE_LIMITED' },
    });
    expect(discord.uploads.map((upload) => upload.sha256)).toEqual([sha(shared.bytes ?? Buffer.alloc(0))]);
  });
});

describe('dry runs and secrets', () => {
  it('a dry run simulates the downloaded file as SIMULATED_FILE, which the upload steps accept', async () => {
    const document = {
      schemaVersion: 1,
      name: 'slack to discord',
      trigger: { type: 'manual' },
      nodes: [
        { id: 'fetch', uses: 'slack.downloadFile', credential: 'slack', with: { fileId: 'F0123456789' } },
        {
          id: 'share',
          uses: 'slack.uploadFile',
          credential: 'slack',
          with: { channel: GENERAL, file: '{{ steps.fetch.output.file }}' },
        },
        {
          id: 'post',
          uses: 'discord.sendMessage',
          credential: 'discord',
          with: { channelId: discord.channelId, files: ['{{ steps.fetch.output.file }}'] },
        },
      ],
      edges: [
        { from: 'fetch', to: 'share' },
        { from: 'share', to: 'post' },
      ],
    } as unknown as WorkflowDocument;
    const report = await dryRunWorkflow(
      document,
      {},
      { catalog: createCatalog([httpConnector, slackConnector, discordConnector]), evaluate: evaluatePort },
    );
    const [fetch, share, post] = report.steps;
    expect(fetch?.status).toBe('simulated');
    expect((fetch?.output as { file: unknown } | undefined)?.file).toEqual(SIMULATED_FILE);
    expect(share?.input).toMatchObject({ file: SIMULATED_FILE });
    expect(post?.input).toMatchObject({ files: [SIMULATED_FILE] });
    // Only the note that writes are not called: no warning that the simulated file does not fit the input.
    for (const step of [share, post]) {
      expect(step?.warnings ?? []).toEqual(['writes to the outside world: not called in a dry run']);
    }
  });

  it('no step output or error holds the Slack or Discord tokens', async () => {
    const rows =
      await db.sql`select coalesce(output::text, '') || coalesce(error::text, '') as data from steps`;
    expect(rows.length).toBeGreaterThan(5);
    for (const row of rows) {
      for (const secret of [SLACK_TOKEN, REVOKED_TOKEN, BOT_TOKEN])
        expect(String(row.data)).not.toContain(secret);
    }
  });
});
