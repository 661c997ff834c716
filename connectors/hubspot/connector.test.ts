import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.ts';
import type { PollTriggerDefinition } from '../sdk/define.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { hubspotConnector } from './connector.ts';
import { HUBSPOT_RATE_LIMITED, type HubspotFake, hubspotError, startHubspotFake } from './fake-server.ts';

let fake: HubspotFake;
let env: ReturnType<typeof createTestEnvironment>;
const credential = () => ({ token: fake.token });
type Options = { credential?: unknown; credentialType?: string };
type Record = { id: string; properties: { [name: string]: string | null } };
type Search = { results: Record[]; total: number | null; truncated: boolean };

beforeAll(async () => {
  fake = await startHubspotFake();
  env = createTestEnvironment({ hubspot: fake.url });
});
afterAll(async () => {
  await fake.close();
});

const run = (key: string, input: unknown, options: Options = {}) =>
  runAction(hubspotConnector, key, input, { env, credential: credential(), ...options });
const runError = (key: string, input: unknown, options: Options = {}) =>
  runActionError(hubspotConnector, key, input, { env, credential: credential(), ...options });

describe('hubspot connector against the CRM API v3 fake', () => {
  it('creates a contact, a company and a deal, updates each, and adds a note associated with all three', async () => {
    const contact = (await run('createContact', {
      properties: { email: 'ana@example.com', firstname: 'Ana', lastname: 'Lima' },
    })) as Record;
    expect(contact.properties).toMatchObject({ email: 'ana@example.com', firstname: 'Ana' });
    const sent = fake.requests.at(-1);
    expect(sent).toMatchObject({ method: 'POST', path: '/crm/v3/objects/contacts' });
    expect(sent?.headers.authorization).toBe(`Bearer ${fake.token}`);
    expect(sent?.body).toEqual({
      properties: { email: 'ana@example.com', firstname: 'Ana', lastname: 'Lima' },
    });

    const company = (await run('createCompany', {
      properties: { name: 'Acme Corp', domain: 'acme.com' },
    })) as Record;
    const deal = (await run('createDeal', {
      properties: {
        dealname: 'Acme – 50 seats',
        amount: 12000,
        pipeline: 'default',
        dealstage: 'appointmentscheduled',
      },
    })) as Record;
    expect(fake.requests.at(-1)?.body).toEqual({
      properties: {
        dealname: 'Acme – 50 seats',
        amount: '12000',
        pipeline: 'default',
        dealstage: 'appointmentscheduled',
      },
    });

    const byEmail = (await run('updateContact', {
      id: 'ana@example.com',
      idProperty: 'email',
      properties: { lifecyclestage: 'opportunity' },
    })) as Record;
    expect(byEmail).toMatchObject({ id: contact.id, properties: { lifecyclestage: 'opportunity' } });
    expect(fake.requests.at(-1)).toMatchObject({
      method: 'PATCH',
      path: '/crm/v3/objects/contacts/ana%40example.com',
      query: { idProperty: 'email' },
    });
    expect(await run('updateCompany', { id: company.id, properties: { city: 'Lisbon' } })).toMatchObject({
      properties: { city: 'Lisbon' },
    });
    expect(await run('updateDeal', { id: deal.id, properties: { dealstage: 'closedwon' } })).toMatchObject({
      properties: { dealstage: 'closedwon' },
    });

    const note = (await run('addNote', {
      body: 'Called Ana: wants a demo.',
      contactIds: [contact.id],
      companyIds: [company.id],
      dealIds: [deal.id],
      timestamp: '2026-12-04T09:30:00.000Z',
    })) as Record;
    expect(note.properties.hs_note_body).toBe('Called Ana: wants a demo.');
    expect(fake.requests.at(-1)?.body).toEqual({
      properties: { hs_note_body: 'Called Ana: wants a demo.', hs_timestamp: '2026-12-04T09:30:00.000Z' },
      associations: [
        {
          to: { id: contact.id },
          types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 202 }],
        },
        {
          to: { id: company.id },
          types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 190 }],
        },
        { to: { id: deal.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 214 }] },
      ],
    });
    expect(fake.objects('notes').at(-1)?.associations).toHaveLength(3);
    expect(await runError('addNote', { body: 'orphan' })).toMatchObject({ code: 'E_PARAMS' });
    expect(
      hubspotConnector.actions.find((action) => action.key === 'updateDeal')?.describeTarget?.({ id: '7' }),
    ).toBe("the HubSpot deal '7'");
  });

  it('searches with filterGroups and walks the `after` cursor in the body up to limit', async () => {
    fake.seed(
      'contacts',
      Array.from({ length: 260 }, (_, index) => ({
        email: `bulk${index}@example.com`,
        lifecyclestage: 'subscriber',
        firstname: 'Bulk',
      })),
    );
    const before = fake.requests.length;
    const found = (await run('searchContacts', {
      filters: [{ property: 'firstname', operator: 'EQ', value: 'Bulk' }],
      properties: ['email', 'lifecyclestage'],
      sortBy: 'createdate',
      limit: 250,
    })) as Search;
    expect(found.results).toHaveLength(250);
    expect(found).toMatchObject({ total: 260, truncated: true });
    const bodies = fake.requests.slice(before).map((request) => request.body);
    expect(bodies[0]).toEqual({
      filterGroups: [{ filters: [{ propertyName: 'firstname', operator: 'EQ', value: 'Bulk' }] }],
      properties: ['email', 'lifecyclestage'],
      sorts: [{ propertyName: 'createdate', direction: 'DESCENDING' }],
      limit: 200,
    });
    expect(bodies[1]).toMatchObject({ after: '200', limit: 200 });

    const either = (await run('searchCompanies', {
      anyOf: [[{ property: 'domain', value: 'acme.com' }], [{ property: 'name', value: 'Nobody Inc' }]],
    })) as Search;
    expect(either.results.map((company) => company.properties.domain)).toEqual(['acme.com']);
    const won = (await run('searchDeals', {
      filters: [{ property: 'dealstage', value: 'closedwon' }],
    })) as Search;
    expect(won).toMatchObject({ total: 1, truncated: false });
  });

  it('maps HubSpot errors: an unknown property, a duplicate contact and a missing record', async () => {
    const invalid = await runError('createContact', { properties: { emial: 'x@example.com' } });
    expect(invalid).toMatchObject({
      code: 'E_REQUEST',
      status: 400,
      details: { vendorCode: 'VALIDATION_ERROR' },
    });
    expect((invalid as Error).message).toContain('Property \\"emial\\" does not exist');
    expect((invalid as { hint: string }).hint).toContain('internal property names');
    const duplicate = await runError('createContact', { properties: { email: 'ANA@example.com' } });
    expect(duplicate).toMatchObject({ code: 'E_REQUEST', status: 409, details: { vendorCode: 'CONFLICT' } });
    expect((duplicate as Error).message).toMatch(/Existing ID: \d+/);
    expect((duplicate as { hint: string }).hint).toContain('updateContact');
    expect(await runError('updateDeal', { id: '999999', properties: { amount: 1 } })).toMatchObject({
      code: 'E_NOT_FOUND',
      details: { vendorCode: 'OBJECT_NOT_FOUND' },
    });
  });

  it('a 429 waits for the X-HubSpot-RateLimit window; a spent daily limit is not retried', async () => {
    fake.fail('POST /crm/v3/objects/contacts', HUBSPOT_RATE_LIMITED);
    expect(await runError('createContact', { properties: { email: 'later@example.com' } })).toMatchObject({
      code: 'E_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 10_000,
      details: { vendorCode: 'RATE_LIMITS' },
    });
    fake.fail('POST /crm/v3/objects/contacts/search', {
      status: 429,
      headers: { 'x-hubspot-ratelimit-daily-remaining': '0' },
      body: hubspotError('You have reached your daily limit.', 'RATE_LIMITS', { policyName: 'DAILY' }),
    });
    const daily = await runError('searchContacts', { query: 'ana' });
    expect(daily).toMatchObject({ code: 'E_RATE_LIMITED', retryable: false });
    expect((daily as { hint: string }).hint).toContain('midnight');
  });

  it('takes an oauth2 credential connected with the hubspot provider', async () => {
    const accessToken = 'CJSP5qf1KhICAQEYs-gDIIGOBii1_OT1LjIZAAoa1xEfGBVeRz0iPQ9aQEv3rq1wYPTaMDk6AAoCQQ';
    fake.allowToken(accessToken);
    const oauth = {
      authorizeUrl: 'https://app.hubspot.com/oauth/authorize',
      tokenUrl: 'https://api.hubapi.com/oauth/v3/token',
      clientId: 'client-1',
      clientSecret: 'client-secret-1',
      provider: 'hubspot',
      accessToken,
      expiresAt: new Date(Date.now() + 1_800_000).toISOString(),
    };
    await run('searchContacts', { query: 'ana', limit: 1 }, { credential: oauth, credentialType: 'oauth2' });
    expect(fake.requests.at(-1)?.headers.authorization).toBe(`Bearer ${accessToken}`);
    expect(hubspotConnector.oauthProviders?.map((provider) => provider.id)).toEqual(['hubspot']);
  });

  it('a revoked token is E_AUTH with how to store a new one, and testCredential says so too', async () => {
    const stale = credential();
    const check = (token: { token: string }) =>
      hubspotConnector.testCredential?.({
        credential: token,
        client: hubspotConnector.createClient({ credential: token, env }),
        signal: new AbortController().signal,
      });
    expect(await check(stale)).toContain('accepts');
    fake.revoke();
    const error = await runError('searchDeals', {}, { credential: stale });
    expect(error).toMatchObject({
      code: 'E_AUTH',
      retryable: false,
      details: { vendorCode: 'INVALID_AUTHENTICATION' },
    });
    expect((error as { hint: string }).hint).toContain('--type hubspot');
    await expect(check(stale)).rejects.toMatchObject({ code: 'E_AUTH' });
  });

  it('contactCreated searches createdate from a minute before the watermark, newest first, with its filters', async () => {
    const trigger = hubspotConnector.triggers[0] as PollTriggerDefinition;
    const ctx = {
      credential: credential(),
      client: hubspotConnector.createClient({ credential: credential(), env }),
      logger: createLogger({ level: 'silent' }),
      signal: new AbortController().signal,
      env,
    };
    const now = Date.now();
    const [old] = fake.seed(
      'contacts',
      [{ email: 'old@example.com', lifecyclestage: 'lead' }],
      new Date(now - 3 * 86_400_000).toISOString(),
    );
    const [fresh] = fake.seed(
      'contacts',
      [{ email: 'fresh@example.com', lifecyclestage: 'lead' }],
      new Date(now - 30_000).toISOString(),
    );
    fake.seed(
      'contacts',
      [{ email: 'customer@example.com', lifecyclestage: 'customer' }],
      new Date(now - 20_000).toISOString(),
    );
    const filters = trigger.with.parse({ lifecycleStage: 'lead', properties: ['email'] });
    const after = { at: now - 60_000, id: old?.id ?? '' };
    const polled = await trigger.poll(ctx, filters, { after, state: undefined });
    expect(polled.items.map((item) => item.id)).toEqual([fresh?.id]);
    expect(polled.items[0]).toMatchObject({ data: { properties: { email: 'fresh@example.com' } } });
    expect(fake.requests.at(-1)?.body).toMatchObject({
      filterGroups: [
        {
          filters: [
            { propertyName: 'createdate', operator: 'GTE', value: String(now - 120_000) },
            { propertyName: 'lifecyclestage', operator: 'EQ', value: 'lead' },
          ],
        },
      ],
      sorts: [{ propertyName: 'createdate', direction: 'DESCENDING' }],
      properties: ['createdate', 'email'],
    });
    const first = await trigger.poll(ctx, trigger.with.parse({}), { after: undefined, state: undefined });
    expect(first.items.map((item) => item.id)).not.toContain(old?.id);
  });

  it('documents every action and trigger', async () => {
    const doc = await readFile(hubspotConnector.docPath, 'utf8');
    expect(docSections(doc)).toEqual([
      ...hubspotConnector.actions.map((action) => action.key),
      ...hubspotConnector.triggers.map((trigger) => `trigger:${trigger.key}`),
    ]);
  });
});
