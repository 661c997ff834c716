import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type AirtableFake, startAirtableFake } from '../../connectors/airtable/fake-server.ts';
import { type HubspotFake, startHubspotFake } from '../../connectors/hubspot/fake-server.ts';
import { type NotionFake, startNotionFake } from '../../connectors/notion/fake-server.ts';
import { type PipedriveFake, startPipedriveFake } from '../../connectors/pipedrive/fake-server.ts';
import { waitForRun } from '../store/run-store.ts';
import { getPollStatus } from '../triggers/poll-state.ts';
import { startRun } from './engine.ts';
import { type ConnectorEngine, startConnectorEngine } from './testing/connector-engine.ts';

// The CRM connectors through the real worker, Postgres and HTTP server against their vendor fakes: one workflow
// using airtable, hubspot and notion actions end to end, the airtable.recordCreated poll trigger firing a run,
// and pipedrive.dealCreated registering its webhook on activation, its Basic-auth deliveries starting runs
// (unauthenticated ones refused) and the webhook deleted on deactivation. No secret reaches the run records.

let harness: ConnectorEngine;
let db: ConnectorEngine['db'];
let engine: ConnectorEngine['engine'];
let publicUrl = '';
let airtable: AirtableFake;
let hubspot: HubspotFake;
let notion: NotionFake;
let pipedrive: PipedriveFake;
/** HubSpot's OAuth token endpoint stand-in: answers refresh grants with a new access token. */
let tokenServer: Server;
let tokenUrl = '';
const refreshGrants: URLSearchParams[] = [];
const renewedToken = 'CJSP5renewed-hubspot-access-token-0123456789';

const api = (method: string, path: string, body?: unknown) => harness.api(method, path, body);

const secrets = () => [airtable.token, hubspot.token, notion.token, pipedrive.apiToken];
const storedRecords = (runIds: string[]) => harness.storedRecords(...runIds);

beforeAll(async () => {
  [airtable, hubspot, notion, pipedrive] = await Promise.all([
    startAirtableFake(),
    startHubspotFake(),
    startNotionFake(),
    startPipedriveFake(),
  ]);
  tokenServer = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      refreshGrants.push(new URLSearchParams(Buffer.concat(chunks).toString()));
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          access_token: renewedToken,
          refresh_token: 'rt-hubspot-2',
          expires_in: 1800,
          token_type: 'bearer',
        }),
      );
    });
  });
  await new Promise<void>((resolve) => tokenServer.listen(0, '127.0.0.1', resolve));
  tokenUrl = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/oauth/v3/token`;
  hubspot.allowToken(renewedToken);
  harness = await startConnectorEngine({
    keySeed: 11,
    baseUrls: { airtable: airtable.url, hubspot: hubspot.url, notion: notion.url, pipedrive: pipedrive.url },
  });
  ({ db, engine, publicUrl } = harness);
  const { credentials } = harness;
  await credentials.set('airtable', 'airtable', { token: airtable.token });
  await credentials.set('hubspot', 'hubspot', { token: hubspot.token });
  await credentials.set('notion', 'notion', { token: notion.token });
  await credentials.set('hubspot-app', 'oauth2', {
    authorizeUrl: 'https://app.hubspot.com/oauth/authorize',
    tokenUrl,
    clientId: 'hubspot-client',
    clientSecret: 'hubspot-client-secret-0123456789',
    provider: 'hubspot',
    accessToken: 'CJSP5expired-hubspot-access-token-0123456789',
    refreshToken: 'rt-hubspot-1',
    expiresAt: new Date(Date.now() - 60_000).toISOString(),
  });
  await credentials.set('pipedrive', 'pipedrive', {
    apiToken: pipedrive.apiToken,
    companyDomain: pipedrive.companyDomain,
  });
});

afterAll(async () => {
  await harness?.stop();
  await new Promise((resolve) => tokenServer?.close(resolve));
  await Promise.all([airtable?.close(), hubspot?.close(), notion?.close(), pipedrive?.close()]);
});

describe('CRM connectors through the engine', () => {
  it('finds a lead in Airtable, files it in HubSpot with a note and in Notion; no secret in the run record', async () => {
    airtable.seed([{ Name: 'Ana Lima', Email: 'ana@example.com', Status: 'New' }]);
    const { id } = await engine.workflows.create({
      schemaVersion: 1,
      name: 'lead to crm',
      trigger: { type: 'manual' },
      nodes: [
        {
          id: 'lead',
          uses: 'airtable.searchRecords',
          credential: 'airtable',
          with: { baseId: airtable.baseId, table: 'Leads', field: 'Email', value: '{{ trigger.email }}' },
        },
        {
          id: 'contact',
          uses: 'hubspot.createContact',
          credential: 'hubspot',
          with: {
            properties: {
              email: '{{ steps.lead.output.records[0].fields.Email }}',
              firstname: '{{ steps.lead.output.records[0].fields.Name }}',
            },
          },
        },
        {
          id: 'note',
          uses: 'hubspot.addNote',
          credential: 'hubspot',
          with: { body: 'Imported from Airtable.', contactIds: ['{{ steps.contact.output.id }}'] },
        },
        {
          id: 'page',
          uses: 'notion.createPage',
          credential: 'notion',
          with: {
            databaseId: notion.databaseId,
            title: '{{ steps.lead.output.records[0].fields.Name }}',
            properties: { Email: { email: '{{ trigger.email }}' } },
          },
        },
      ],
      edges: [
        { from: 'lead', to: 'contact' },
        { from: 'contact', to: 'note' },
        { from: 'lead', to: 'page' },
      ],
    });
    const { runId } = await startRun(db.sql, id, { email: 'ana@example.com' });
    const view = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    expect(hubspot.objects('contacts').map((contact) => contact.properties.email)).toContain(
      'ana@example.com',
    );
    expect(hubspot.objects('notes').at(-1)?.associations).toEqual([
      { toId: hubspot.objects('contacts').at(-1)?.id, typeId: 202 },
    ]);
    expect(notion.pages().at(-1)?.properties.Email).toMatchObject({ email: 'ana@example.com' });
    const stored = await storedRecords([runId]);
    expect(stored).toContain('Imported from Airtable.');
    for (const secret of secrets()) expect(stored).not.toContain(secret);
  });

  it('airtable.recordCreated starts one run for a record created after activation', async () => {
    const { id } = await engine.workflows.create(
      {
        schemaVersion: 1,
        name: 'new airtable lead',
        trigger: {
          type: 'airtable.recordCreated',
          credential: 'airtable',
          with: { baseId: airtable.baseId, table: 'Leads', intervalSeconds: 15 },
        },
        nodes: [{ id: 'seen', uses: 'core.transform', with: { value: 'lead: {{ trigger.fields.Name }}' } }],
        edges: [],
      },
      {},
      { activate: true },
    );
    const polls = () =>
      airtable.requests.filter((request) => request.method === 'GET' && request.query.filterByFormula).length;
    const before = polls();
    await expect.poll(polls, { timeout: 20_000, interval: 100 }).toBeGreaterThan(before);
    airtable.seed([{ Name: 'Bo Chen', Email: 'bo@example.com' }]);
    const runs = async () => db.sql`select id, trigger from runs where workflow_id = ${id}`;
    await expect.poll(async () => (await runs()).length, { timeout: 40_000, interval: 250 }).toBe(1);
    const [run] = await runs();
    const view = await waitForRun(db.sql, String(run?.id), { timeoutMs: 30_000 });
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    expect(view.steps[0]?.output).toBe('lead: Bo Chen');
    const stored = await storedRecords([String(run?.id)]);
    for (const secret of secrets()) expect(stored).not.toContain(secret);
    await engine.workflows.deactivate(id);
  }, 90_000);

  it('hubspot.contactCreated polls with an expired oauth2 credential: the token is renewed first', async () => {
    const { id } = await engine.workflows.create(
      {
        schemaVersion: 1,
        name: 'new hubspot contact',
        trigger: { type: 'hubspot.contactCreated', credential: 'hubspot-app', with: { intervalSeconds: 30 } },
        nodes: [{ id: 'seen', uses: 'core.transform', with: { value: '{{ trigger.properties.email }}' } }],
        edges: [],
      },
      {},
      { activate: true },
    );
    await expect
      .poll(async () => (await getPollStatus(db.sql, id))?.lastSuccessAt ?? null, { timeout: 20_000 })
      .not.toBeNull();
    expect(await getPollStatus(db.sql, id)).toMatchObject({
      primed: true,
      consecutiveFailures: 0,
      lastError: null,
    });
    expect(refreshGrants.at(-1)?.get('grant_type')).toBe('refresh_token');
    expect(refreshGrants.at(-1)?.get('refresh_token')).toBe('rt-hubspot-1');
    const search = hubspot.requests
      .filter((request) => request.path === '/crm/v3/objects/contacts/search')
      .at(-1);
    expect(search?.headers.authorization).toBe(`Bearer ${renewedToken}`);
    await engine.workflows.deactivate(id);
  });

  it('pipedrive.dealCreated registers its webhook, runs on authenticated deliveries, and unregisters', async () => {
    const created = await api('POST', '/api/workflows', {
      document: {
        schemaVersion: 1,
        name: 'new pipedrive deal',
        trigger: { type: 'pipedrive.dealCreated', credential: 'pipedrive', with: { pipelineId: 1 } },
        nodes: [{ id: 'seen', uses: 'core.transform', with: { value: 'deal: {{ trigger.deal.title }}' } }],
        edges: [],
      },
    });
    const id = String(created.id);
    await api('POST', `/api/workflows/${id}/activate`, {});
    const hookUrl = `${publicUrl}/hooks/${id}`;
    await expect
      .poll(() => pipedrive.webhooks().find((hook) => hook.subscription_url === hookUrl), {
        timeout: 20_000,
        interval: 50,
      })
      .toMatchObject({
        event_action: 'create',
        event_object: 'deal',
        version: '2.0',
        http_auth_user: 'vmesh',
      });
    const hook = pipedrive.webhooks().find((candidate) => candidate.subscription_url === hookUrl);
    expect(hook?.http_auth_password).toMatch(/^[A-Za-z0-9_-]{32,256}$/);

    // A delivery without the webhook's Basic credentials (or with other ones) starts nothing.
    const forged = await fetch(hookUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from('vmesh:guessed').toString('base64')}`,
      },
      body: JSON.stringify({ data: { id: 1 }, meta: { action: 'create', entity: 'deal' } }),
    });
    expect(forged.status).toBe(401);

    const { deal, deliveries } = await pipedrive.addDealInApp({
      title: 'Acme – 50 seats',
      pipeline_id: 1,
      stage_id: 1,
    });
    expect(deliveries.map((delivery) => delivery.status)).toEqual([202]);
    const runId = z
      .object({ runId: z.string() })
      .loose()
      .parse(JSON.parse(deliveries[0]?.body ?? '{}')).runId;
    const view = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    expect(view.steps[0]?.output).toBe(`deal: ${String(deal.title)}`);
    // A deal in another pipeline does not pass the trigger's filter.
    const other = await pipedrive.addDealInApp({ title: 'Elsewhere', pipeline_id: 2, stage_id: 4 });
    expect(other.deliveries[0]?.status).toBeLessThan(300);
    expect(await db.sql`select id from runs where workflow_id = ${id}`).toHaveLength(1);
    const stored = await storedRecords([runId]);
    for (const secret of [...secrets(), String(hook?.http_auth_password)])
      expect(stored).not.toContain(secret);

    await api('POST', `/api/workflows/${id}/deactivate`, {});
    await expect
      .poll(() => pipedrive.webhooks().filter((candidate) => candidate.subscription_url === hookUrl), {
        timeout: 20_000,
        interval: 50,
      })
      .toEqual([]);
  });
});
