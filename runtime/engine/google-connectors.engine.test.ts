import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVE_SCOPE, FOLDER_MIME_TYPE } from '../../connectors/googledrive/client.ts';
import { type DriveFake, startDriveFake } from '../../connectors/googledrive/fake-server.ts';
import { SHEETS_SCOPE } from '../../connectors/googlesheets/client.ts';
import { type SheetsFake, startSheetsFake } from '../../connectors/googlesheets/fake-server.ts';
import {
  type CredentialStore,
  createCredentialStore,
  credentialTypesOf,
  googleDriveConnector,
  googleSheetsConnector,
  OAuth2Credential,
  parseSecretKey,
} from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { waitForRun } from '../store/run-store.ts';
import { startRun } from './engine.ts';
import type { EngineWorker } from './worker.ts';

// The Google connectors through the real worker and Postgres against their wire fakes: a workflow that finds a row and
// appends one with an oauth2 credential whose access token has expired (renewed by the engine's token source with the
// google preset), and the googlesheets.rowAdded poll trigger starting a run for a row typed after activation, its
// oauth2 credential renewed on the poll path too. No token, client secret or private key is in the run record.

const connectors = [googleSheetsConnector, googleDriveConnector];
const secretKey = randomBytes(32).toString('base64');
let db: TestDatabase;
let engine: EngineServices;
let worker: EngineWorker;
let store: CredentialStore;
let sheets: SheetsFake;
let drive: DriveFake;
const secrets: string[] = [];

async function storeExpiredOAuth(name: string): Promise<OAuth2Credential> {
  const credential = sheets.auth.oauthCredential([SHEETS_SCOPE]);
  sheets.auth.expireAccessTokens();
  await store.set(name, 'oauth2', { ...credential, expiresAt: new Date(Date.now() - 1000).toISOString() });
  secrets.push(credential.accessToken, credential.clientSecret, credential.refreshToken ?? '');
  return credential;
}

async function storedSecrets(name: string): Promise<string[]> {
  const current = OAuth2Credential.parse((await store.get(name, { recordUse: false }))?.secret);
  return [current.accessToken, current.refreshToken ?? '', current.clientSecret];
}

async function runRecord(runId: string): Promise<string> {
  return JSON.stringify([
    await db.sql`select * from runs where id = ${runId}`,
    await db.sql`select * from steps where run_id = ${runId}`,
    await db.sql`select * from run_events where run_id = ${runId}`,
  ]);
}

beforeAll(async () => {
  sheets = await startSheetsFake();
  drive = await startDriveFake();
  db = await createTestDatabase({ poolSize: 8 });
  const database = { sql: db.sql, url: db.url, kind: 'external' as const, close: async () => {} };
  engine = await createEngineServices(database, {
    env: { VMESH_SECRET_KEY: secretKey, VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' },
    connectors,
  });
  Object.assign(engine.deps.connectorEnv.baseUrls, {
    googlesheets: sheets.url,
    googledrive: drive.url,
    'google-oauth': sheets.oauthUrl,
  });
  store = createCredentialStore({
    sql: db.sql,
    key: parseSecretKey(secretKey),
    types: credentialTypesOf(connectors),
  });
  worker = await engine.startWorker({ concurrency: 2 });
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await sheets?.close();
  await drive?.close();
  await db?.drop();
});

describe('google connectors through the engine', () => {
  it('looks a customer up and appends an order row with a renewed oauth2 token; no secret in the run record', async () => {
    const spreadsheetId = sheets.create('Orders', {
      Customers: [
        ['Email', 'Name', 'Tier'],
        ['ana@example.com', 'Ana Lima', 'gold'],
      ],
      Orders: [['Email', 'Name', 'Tier', 'Item']],
    });
    await storeExpiredOAuth('sheets');
    const grants = sheets.auth.refreshGrants();
    const { id } = await engine.workflows.create({
      schemaVersion: 1,
      name: 'log an order',
      trigger: { type: 'manual' },
      nodes: [
        {
          id: 'customer',
          uses: 'googlesheets.lookupRows',
          credential: 'sheets',
          with: { spreadsheetId, sheet: 'Customers', column: 'Email', value: '{{ trigger.email }}' },
        },
        {
          id: 'order',
          uses: 'googlesheets.appendRows',
          credential: 'sheets',
          with: {
            spreadsheetId,
            sheet: 'Orders',
            rows: [
              {
                Email: '{{ trigger.email }}',
                Name: '{{ steps.customer.output.rows[0].values.Name }}',
                Tier: '{{ steps.customer.output.rows[0].values.Tier }}',
                Item: '{{ trigger.item }}',
              },
            ],
          },
        },
      ],
      edges: [{ from: 'customer', to: 'order' }],
    });
    const { runId } = await startRun(db.sql, id, { email: 'ana@example.com', item: 'Espresso machine' });
    const view = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    expect(sheets.rows(spreadsheetId, 'Orders')[1]).toEqual([
      'ana@example.com',
      'Ana Lima',
      'gold',
      'Espresso machine',
    ]);
    expect(sheets.auth.refreshGrants()).toBe(grants + 1);
    const record = await runRecord(runId);
    expect(record).toContain('Espresso machine');
    for (const secret of [...secrets, ...(await storedSecrets('sheets'))])
      expect(record).not.toContain(secret);
  }, 60_000);

  it('googlesheets.rowAdded: a row typed after activation starts exactly one run, its oauth2 token renewed on the poll', async () => {
    const spreadsheetId = sheets.create('Signups', {
      Signups: [
        ['Name', 'Email'],
        ['Old Entry', 'old@example.com'],
      ],
    });
    await storeExpiredOAuth('sheets-poll');
    const polls = () => sheets.requests.filter((request) => request.path.endsWith('values:batchGet')).length;
    const { id } = await engine.workflows.create(
      {
        schemaVersion: 1,
        name: 'new signups',
        trigger: {
          type: 'googlesheets.rowAdded',
          credential: 'sheets-poll',
          with: { spreadsheetId, sheet: 'Signups', intervalSeconds: 10 },
        },
        nodes: [{ id: 'greet', uses: 'core.transform', with: { value: 'hello {{ trigger.values.Name }}' } }],
        edges: [],
      },
      {},
      { activate: true },
    );
    await expect.poll(polls, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    sheets.type(spreadsheetId, 'Signups', [['Grace Hopper', 'grace@example.com']]);
    const runsOf = async () =>
      db.sql`select id, trigger from runs where workflow_id = ${id} order by created_at`;
    await expect.poll(async () => (await runsOf()).length, { timeout: 40_000, interval: 500 }).toBe(1);
    const [run] = await runsOf();
    expect(run?.trigger).toEqual({
      spreadsheetId,
      sheet: 'Signups',
      rowNumber: 3,
      values: { Name: 'Grace Hopper', Email: 'grace@example.com' },
      cells: ['Grace Hopper', 'grace@example.com'],
    });
    const view = await waitForRun(db.sql, String(run?.id), { timeoutMs: 30_000 });
    expect(view.steps[0]?.output).toBe('hello Grace Hopper');
    const record = await runRecord(String(run?.id));
    for (const secret of [...secrets, ...(await storedSecrets('sheets-poll'))])
      expect(record).not.toContain(secret);
    await engine.workflows.deactivate(id);
  }, 90_000);

  it("googledrive: downloads a file into the run's file store and uploads it into a folder (service account)", async () => {
    const key = drive.auth.serviceAccount([DRIVE_SCOPE]);
    await store.set('drive', 'google-service-account', key);
    const source = drive.add({
      name: 'invoice-118.pdf',
      mimeType: 'application/pdf',
      content: Buffer.from('%PDF-1.7 invoice 118'),
    });
    const archive = drive.add({ name: 'Archive', mimeType: FOLDER_MIME_TYPE });
    const { id } = await engine.workflows.create({
      schemaVersion: 1,
      name: 'archive an invoice',
      trigger: { type: 'manual' },
      nodes: [
        {
          id: 'get',
          uses: 'googledrive.downloadFile',
          credential: 'drive',
          with: { fileId: '{{ trigger.fileId }}' },
        },
        {
          id: 'put',
          uses: 'googledrive.uploadFile',
          credential: 'drive',
          with: {
            file: '{{ steps.get.output.file }}',
            folderId: archive.id,
            name: 'archived {{ steps.get.output.file.name }}',
          },
        },
      ],
      edges: [{ from: 'get', to: 'put' }],
    });
    const { runId } = await startRun(db.sql, id, { fileId: source.id });
    const view = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    const copy = drive.files().find((file) => file.name === 'archived invoice-118.pdf');
    expect(copy?.parents).toEqual([archive.id]);
    expect(copy?.content.toString()).toBe('%PDF-1.7 invoice 118');
    const record = await runRecord(runId);
    expect(record).not.toContain(String(key.private_key).split('\n')[1]);
  }, 60_000);
});
