import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  bearerStyle,
  bindAuth,
  createCredentialStore,
  createRestClient,
  defineConnector,
  openWeatherMapConnector,
  parseSecretKey,
  restAction,
  todoistConnector,
} from '../../connectors/index.ts';
import {
  type OpenWeatherMapFake,
  startOpenWeatherMapFake,
} from '../../connectors/openweathermap/fake-server.ts';
import { startTodoistFake, type TodoistFake } from '../../connectors/todoist/fake-server.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { waitForRun } from '../store/run-store.ts';
import { startRun } from './engine.ts';
import type { EngineWorker } from './worker.ts';

// Declarative REST connectors through the real worker and Postgres: two of them in one workflow against their
// vendor fakes, and a vendor's "limit spent" headers on a successful answer holding the credential back.

const secretKey = Buffer.alloc(32, 5).toString('base64');
let db: TestDatabase;
let engine: EngineServices;
let worker: EngineWorker;
let weather: OpenWeatherMapFake;
let todoist: TodoistFake;
let budgetServer: Server;
let budgetHits = 0;

/** A REST connector whose vendor answers every call with "remaining 0, resets in 60 s". */
const budgeted = defineConnector<{ token: string }, ReturnType<typeof createRestClient>>({
  id: 'budgeted',
  version: '1.0.0',
  title: 'Budgeted',
  description: 'A REST API that reports its limit as spent on each successful answer.',
  credential: {
    type: 'budgeted',
    schema: z.strictObject({ token: z.string() }),
    howToGet: 'Any token will do here.',
  },
  createClient: ({ credential, env }) =>
    createRestClient(
      {
        connector: 'budgeted',
        baseUrl: 'https://budgeted.example',
        auth: (c: { token: string }) => bindAuth(bearerStyle, c),
      },
      { credential, env },
    ),
  actions: [
    restAction({
      key: 'ping',
      title: 'Ping',
      description: 'Calls the API once and returns what it said.',
      effect: 'read',
      idempotent: true,
      input: z.strictObject({}),
      output: z.object({ ok: z.boolean().describe('Whether it answered.') }),
      http: { method: 'GET', path: '/ping' },
      project: () => ({ ok: true }),
    }),
  ],
  triggers: [],
  docPath: '/dev/null',
});

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 8 });
  weather = await startOpenWeatherMapFake();
  todoist = await startTodoistFake();
  budgetServer = createServer((_, response) => {
    budgetHits += 1;
    response
      .writeHead(200, {
        'content-type': 'application/json',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': '60',
      })
      .end('{"ok":true}');
  });
  await new Promise<void>((resolve) => budgetServer.listen(0, '127.0.0.1', resolve));
  engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    {
      env: { VMESH_SECRET_KEY: secretKey, VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' },
      connectors: [openWeatherMapConnector, todoistConnector, budgeted],
    },
  );
  Object.assign(engine.deps.connectorEnv.baseUrls, {
    openweathermap: weather.url,
    todoist: todoist.url,
    budgeted: `http://127.0.0.1:${(budgetServer.address() as AddressInfo).port}`,
  });
  const credentials = createCredentialStore({
    sql: db.sql,
    key: parseSecretKey(secretKey),
    types: [openWeatherMapConnector, todoistConnector, budgeted].flatMap((connector) =>
      connector.credential ? [connector.credential] : [],
    ),
  });
  await credentials.set('weather', 'openweathermap', { apiKey: weather.apiKey });
  await credentials.set('todoist', 'todoist', { token: todoist.token });
  await credentials.set('budget', 'budgeted', { token: 'budget-token' });
  worker = await engine.startWorker({ concurrency: 2 });
});

afterAll(async () => {
  await worker?.stop();
  await weather?.close();
  await todoist?.close();
  await new Promise((resolve) => budgetServer?.close(resolve));
  await db?.drop();
});

describe('declarative REST connectors through the engine', () => {
  it('reads the weather and files a Todoist task from it; neither secret is in the run record', async () => {
    const { id } = await engine.workflows.create({
      schemaVersion: 1,
      name: 'umbrella reminder',
      trigger: { type: 'manual' },
      nodes: [
        {
          id: 'weather',
          uses: 'openweathermap.currentWeather',
          credential: 'weather',
          with: { city: '{{ trigger.city }}' },
        },
        {
          id: 'todo',
          uses: 'todoist.createTask',
          credential: 'todoist',
          with: {
            content:
              '{{ steps.weather.output.current.description }} in {{ steps.weather.output.location.name }}',
            labels: ['weather'],
          },
        },
      ],
      edges: [{ from: 'weather', to: 'todo' }],
    });
    const { runId } = await startRun(db.sql, id, { city: 'London,GB' });
    const view = await waitForRun(db.sql, runId, { timeoutMs: 20_000 });
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    expect(todoist.tasks().map((task) => task.content)).toContain('broken clouds in London');
    const stored = JSON.stringify([
      await db.sql`select * from steps where run_id = ${runId}`,
      await db.sql`select * from run_events where run_id = ${runId}`,
    ]);
    expect(stored).toContain('broken clouds');
    expect(stored).not.toContain(weather.apiKey);
    expect(stored).not.toContain(todoist.token);
  });

  it('holds the credential back when a successful answer says the limit is spent', async () => {
    const { id } = await engine.workflows.create({
      schemaVersion: 1,
      name: 'budget',
      trigger: { type: 'manual' },
      nodes: [{ id: 'ping', uses: 'budgeted.ping', credential: 'budget', with: {} }],
      edges: [],
    });
    const first = await startRun(db.sql, id, {});
    expect((await waitForRun(db.sql, first.runId, { timeoutMs: 20_000 })).status).toBe('succeeded');
    const [budget] = await db.sql`
      select extract(epoch from blocked_until - clock_timestamp())::float8 as seconds
      from connection_budgets where connector_id = 'budgeted' and credential = 'budget'`;
    expect(Number(budget?.seconds)).toBeGreaterThan(50);
    const second = await startRun(db.sql, id, {});
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const [row] = await db.sql`select status from runs where id = ${second.runId}`;
    expect(row?.status).not.toBe('succeeded');
    expect(budgetHits).toBe(1);
  });
});
