import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DropboxFake, startDropboxFake } from '../../connectors/dropbox/fake-server.ts';
import {
  createCredentialStore,
  dropboxConnector,
  mysqlConnector,
  parseSecretKey,
  redisConnector,
  s3Connector,
} from '../../connectors/index.ts';
import {
  createTestMysqlDatabase,
  mysqlSkipReason,
  type TestMysqlDatabase,
} from '../../connectors/mysql/testing/mariadb.ts';
import { createTestRedis, redisSkipReason, type TestRedis } from '../../connectors/redis/testing/redis.ts';
import { type S3Fake, startS3Fake } from '../../connectors/s3/fake-server.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { waitForRun } from '../store/run-store.ts';
import { getPollStatus } from '../triggers/poll-state.ts';
import { startRun } from './engine.ts';
import type { EngineWorker } from './worker.ts';

// The data connectors through the real worker and Postgres: a workflow that writes and reads the machine's real
// MariaDB, counts in its real Redis and lists the S3 fake; and s3.objectCreated, a poll trigger, starting a run
// through the production poll path when an object lands in the bucket, which downloads it and uploads it to Dropbox.

const skipServers = (await mysqlSkipReason()) ?? (await redisSkipReason());
if (skipServers) console.warn(`SKIPPED the MariaDB/Redis workflow of the data connectors: ${skipServers}`);

const secretKey = Buffer.alloc(32, 7).toString('base64');
let db: TestDatabase;
let engine: EngineServices;
let worker: EngineWorker;
let s3: S3Fake;
let dropbox: DropboxFake;
let mysql: TestMysqlDatabase | undefined;
let redis: TestRedis | undefined;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 8 });
  s3 = await startS3Fake();
  dropbox = await startDropboxFake();
  if (!skipServers) {
    mysql = await createTestMysqlDatabase();
    redis = await createTestRedis();
    await mysql.admin.query(
      'create table orders (id int primary key, email varchar(200) not null, total decimal(10,2) not null)',
    );
  }
  engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    { env: { VMESH_SECRET_KEY: secretKey, VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' } },
  );
  Object.assign(engine.deps.connectorEnv.baseUrls, {
    s3: s3.url,
    dropbox: dropbox.url,
    'dropbox-content': dropbox.contentUrl,
  });
  const credentials = createCredentialStore({
    sql: db.sql,
    key: parseSecretKey(secretKey),
    types: [mysqlConnector, redisConnector, s3Connector, dropboxConnector].flatMap((connector) =>
      connector.credential ? [connector.credential] : [],
    ),
  });
  await credentials.set('bucket', 's3', s3.credential);
  await credentials.set('dropbox', 'dropbox', { token: dropbox.token });
  if (mysql && redis) {
    await credentials.set('shop-db', 'mysql', mysql.credential);
    await credentials.set('cache', 'redis', { url: redis.url, keyPrefix: redis.keyPrefix });
  }
  worker = await engine.startWorker({ concurrency: 2 });
});

afterAll(async () => {
  await worker?.stop();
  await s3?.close();
  await dropbox?.close();
  await mysql?.drop();
  await redis?.close();
  await db?.drop();
});

const storedRecord = async (runId: string) =>
  JSON.stringify([
    await db.sql`select * from runs where id = ${runId}`,
    await db.sql`select * from steps where run_id = ${runId}`,
    await db.sql`select * from run_events where run_id = ${runId}`,
  ]);

describe('data connectors through the engine', () => {
  it.skipIf(Boolean(skipServers))(
    'records an order in MariaDB, reads it back, counts it in Redis and lists the bucket; no secret in the run record',
    async () => {
      const { id } = await engine.workflows.create({
        schemaVersion: 1,
        name: 'record order',
        trigger: { type: 'manual' },
        nodes: [
          {
            id: 'insert',
            uses: 'mysql.insertRows',
            credential: 'shop-db',
            with: {
              table: 'orders',
              rows: [{ id: '{{ trigger.id }}', email: '{{ trigger.email }}', total: 12.5 }],
            },
          },
          {
            id: 'read',
            uses: 'mysql.query',
            credential: 'shop-db',
            with: { sql: 'select email, total from orders where id = ?', params: ['{{ trigger.id }}'] },
          },
          {
            id: 'remember',
            uses: 'redis.set',
            credential: 'cache',
            with: {
              key: 'order:{{ trigger.id }}',
              value: '{{ steps.read.output.rows[0].email }}',
              ttlSeconds: 600,
            },
          },
          { id: 'count', uses: 'redis.increment', credential: 'cache', with: { key: 'orders:today' } },
          { id: 'list', uses: 's3.listObjects', credential: 'bucket', with: { bucket: 'acme-invoices' } },
        ],
        edges: [
          { from: 'insert', to: 'read' },
          { from: 'read', to: 'remember' },
          { from: 'remember', to: 'count' },
          { from: 'count', to: 'list' },
        ],
      });
      const { runId } = await startRun(db.sql, id, { id: 1042, email: 'ana@example.com' });
      const view = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
      expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
      const [rows] = (await mysql?.admin.query('select id, email, total from orders')) ?? [];
      expect(rows).toEqual([{ id: 1042, email: 'ana@example.com', total: '12.50' }]);
      expect(await redis?.admin.get(`${redis.keyPrefix}order:1042`)).toBe('ana@example.com');
      expect(await redis?.admin.get(`${redis.keyPrefix}orders:today`)).toBe('1');
      expect(s3.requests.some((request) => request.query['list-type'] === '2')).toBe(true);
      const stored = await storedRecord(runId);
      expect(stored).toContain('ana@example.com');
      expect(stored).not.toContain(s3.credential.secretAccessKey);
      expect(stored).not.toContain(`"password":"${mysql?.credential.password}"`);
    },
  );

  it('s3.objectCreated starts one run for an object written after activation, which copies it to Dropbox', async () => {
    s3.seed('acme-invoices', 'incoming/before.csv', 'old', new Date(Date.now() - 60_000));
    const { id } = await engine.workflows.create(
      {
        schemaVersion: 1,
        name: 'new uploads',
        trigger: {
          type: 's3.objectCreated',
          credential: 'bucket',
          with: { bucket: 'acme-invoices', prefix: 'incoming/', intervalSeconds: 2 },
        },
        nodes: [
          {
            id: 'fetch',
            uses: 's3.getObject',
            credential: 'bucket',
            with: { bucket: '{{ trigger.bucket }}', key: '{{ trigger.key }}' },
          },
          {
            id: 'copy',
            uses: 'dropbox.uploadFile',
            credential: 'dropbox',
            with: { path: '/Inbox/{{ trigger.key }}', file: '{{ steps.fetch.output.file }}' },
          },
          {
            id: 'say',
            uses: 'core.transform',
            with: { value: '{{ trigger.key }}: {{ steps.fetch.output.file.size }} bytes' },
          },
        ],
        edges: [
          { from: 'fetch', to: 'copy' },
          { from: 'copy', to: 'say' },
        ],
      },
      {},
      { activate: true },
    );
    const lists = () => s3.requests.filter((request) => request.query['list-type'] === '2').length;
    const before = lists();
    await expect.poll(lists, { timeout: 15_000 }).toBeGreaterThan(before);
    s3.seed('acme-invoices', 'incoming/order-1042.csv', 'id,total\n1042,12.50\n');
    const runs = async () =>
      (await db.sql`select id, trigger from runs where workflow_id = ${id} order by created_at`).map(
        (row) => ({
          id: String(row.id),
          trigger: row.trigger as { key: string },
        }),
      );
    await expect
      .poll(async () => (await runs()).length, { timeout: 20_000 })
      .toBe(1)
      .catch(async (error: unknown) => {
        const jobs = await db.sql`select task_identifier, attempts, last_error from graphile_worker.jobs`;
        throw new Error(
          `${String(error)}: ${JSON.stringify(await getPollStatus(db.sql, id))} ${JSON.stringify(jobs)}`,
        );
      });
    const [run] = await runs();
    expect(run?.trigger).toMatchObject({ bucket: 'acme-invoices', key: 'incoming/order-1042.csv', size: 20 });
    const view = await waitForRun(db.sql, run?.id ?? '', { timeoutMs: 30_000 });
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    expect(view.steps.find((step) => step.id === 'say')?.output).toBe('incoming/order-1042.csv: 20 bytes');
    expect(dropbox.files().map((file) => [file.path, file.body.toString()])).toEqual([
      ['/Inbox/incoming/order-1042.csv', 'id,total\n1042,12.50\n'],
    ]);
    // Later polls list the same objects: no further run.
    const seen = lists();
    await expect.poll(lists, { timeout: 15_000 }).toBeGreaterThanOrEqual(seen + 2);
    expect(await runs()).toHaveLength(1);
    const stored = await storedRecord(run?.id ?? '');
    expect(stored).not.toContain(s3.credential.secretAccessKey);
    expect(stored).not.toContain(dropbox.token);
    await engine.workflows.deactivate(id);
  });
});
