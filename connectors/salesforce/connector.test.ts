import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.ts';
import { refreshOAuth2Tokens } from '../sdk/auth/oauth2.ts';
import type { PollTriggerDefinition } from '../sdk/define.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { query } from './actions/query.ts';
import { salesforceConnector } from './connector.ts';
import { type SalesforceFake, salesforceError, startSalesforceFake } from './fake-server.ts';
import { salesforceOAuthProvider } from './oauth-provider.ts';
import { bindSoql } from './soql.ts';
import { recordCreated } from './triggers/record-created.ts';

let fake: SalesforceFake;
let env: ReturnType<typeof createTestEnvironment>;
const INSTANCE = 'https://acme.my.salesforce.com';
const credential = () => ({ instanceUrl: INSTANCE, accessToken: fake.accessToken });
type Options = { credential?: unknown; credentialType?: string };

beforeAll(async () => {
  fake = await startSalesforceFake();
  env = createTestEnvironment({ salesforce: fake.url });
});
afterAll(async () => {
  await fake.close();
});

const run = (key: string, input: unknown, options: Options = {}) =>
  runAction(salesforceConnector, key, input, { env, credential: credential(), ...options });
const runError = (key: string, input: unknown, options: Options = {}) =>
  runActionError(salesforceConnector, key, input, { env, credential: credential(), ...options });
const lastRequest = () => fake.requests.at(-1);

describe('SOQL binding', () => {
  it('quotes and escapes strings, writes numbers, booleans, null and IN lists, and skips quoted text', () => {
    expect(
      bindSoql(
        "SELECT Id FROM Lead WHERE Email = :email AND Score__c > :score AND IsConverted = :done AND Status IN :statuses AND Name != 'a:b'",
        {
          email: "x' OR Name != '",
          score: 5,
          done: false,
          statuses: ['Open', "It's new"],
        },
      ),
    ).toBe(
      "SELECT Id FROM Lead WHERE Email = 'x\\' OR Name != \\'' AND Score__c > 5 AND IsConverted = FALSE AND Status IN ('Open', 'It\\'s new') AND Name != 'a:b'",
    );
    expect(bindSoql('SELECT Id FROM Lead WHERE Email = :e', { e: 'back\\slash\nline' })).toBe(
      "SELECT Id FROM Lead WHERE Email = 'back\\\\slash\\nline'",
    );
    expect(bindSoql('SELECT Id FROM Lead WHERE CreatedDate = LAST_N_DAYS:30', {})).toContain(
      'LAST_N_DAYS:30',
    );
    expect(() => bindSoql('SELECT Id FROM Lead WHERE Email = :email', {})).toThrow(/no value/);
    expect(() => bindSoql('SELECT Id FROM Lead', { email: 'x' })).toThrow(/match no placeholder/);
    expect(() => bindSoql("SELECT Id FROM Lead WHERE Name = 'open", {})).toThrow(/not closed/);
  });
});

describe('salesforce connector against the REST API fake', () => {
  it('creates a lead with the bearer token; a missing required field names it', async () => {
    const created = (await run('createRecord', {
      sobject: 'Lead',
      fields: { FirstName: 'Ana', LastName: 'Lima', Company: 'Acme', Email: 'ana@example.com' },
    })) as { id: string };
    expect(created).toMatchObject({ id: expect.stringMatching(/^00Q/), sobject: 'Lead' });
    expect(lastRequest()).toMatchObject({
      method: 'POST',
      path: '/services/data/v60.0/sobjects/Lead/',
      body: { FirstName: 'Ana', LastName: 'Lima', Company: 'Acme', Email: 'ana@example.com' },
    });
    expect(lastRequest()?.headers.authorization).toBe(`Bearer ${fake.accessToken}`);
    const error = await runError('createRecord', { sobject: 'Lead', fields: { FirstName: 'Bo' } });
    expect(error).toMatchObject({ code: 'E_REQUEST', details: { vendorCode: 'REQUIRED_FIELD_MISSING' } });
    expect((error as Error).message).toContain(
      'Required fields are missing: [LastName, Company] (fields LastName, Company)',
    );
    expect((error as { hint: string }).hint).toContain('Set the fields');
    const badField = await runError('createRecord', {
      sobject: 'Lead',
      fields: { LastName: 'X', Company: 'Y', Foo__c: 1 },
    });
    expect(badField).toMatchObject({ details: { vendorCode: 'INVALID_FIELD' } });
    expect(
      await runError('createRecord', { sobject: 'Lead/../Account', fields: { Name: 'x' } }),
    ).toMatchObject({ code: 'E_PARAMS' });
  });

  it('updates a record by id with PATCH; an unknown id is E_NOT_FOUND', async () => {
    const [lead] = fake.seed('Lead', 1);
    expect(
      await run('updateRecord', { sobject: 'Lead', recordId: lead?.Id, fields: { Status: 'Working' } }),
    ).toEqual({ id: lead?.Id, updated: true });
    expect(lastRequest()).toMatchObject({
      method: 'PATCH',
      path: `/services/data/v60.0/sobjects/Lead/${lead?.Id}`,
      body: { Status: 'Working' },
    });
    expect(fake.records('Lead').find((record) => record.Id === lead?.Id)?.Status).toBe('Working');
    expect(
      await runError('updateRecord', {
        sobject: 'Lead',
        recordId: '00Q000000000000AAA',
        fields: { Status: 'x' },
      }),
    ).toMatchObject({ code: 'E_NOT_FOUND' });
  });

  it('upserts by external id: created once, then updated', async () => {
    const input = {
      sobject: 'Contact',
      externalIdField: 'ERP_Id__c',
      externalId: 'C-1042',
      fields: { LastName: 'Lima', Email: 'ana@example.com' },
    };
    const first = (await run('upsertRecord', input)) as { id: string; created: boolean };
    expect(first.created).toBe(true);
    expect(lastRequest()?.path).toBe('/services/data/v60.0/sobjects/Contact/ERP_Id__c/C-1042');
    const second = (await run('upsertRecord', {
      ...input,
      fields: { LastName: 'Lima', Phone: '+49 30 1234' },
    })) as { id: string; created: boolean };
    expect(second).toEqual({ id: first.id, created: false });
    expect(fake.records('Contact').filter((record) => record.ERP_Id__c === 'C-1042')).toHaveLength(1);
  });

  it('queries with bound values: an injection attempt stays one string literal', async () => {
    fake.seed('Contact', 2, (index) => ({ LastName: `Query ${index}`, Email: `q${index}@example.com` }));
    const found = (await run('query', {
      soql: 'SELECT Id, Email FROM Contact WHERE Email = :email',
      params: { email: 'q1@example.com' },
    })) as { records: Record<string, unknown>[]; totalSize: number };
    expect(found.records).toEqual([{ Id: expect.any(String), Email: 'q1@example.com' }]);
    expect(lastRequest()?.query).toEqual({
      q: "SELECT Id, Email FROM Contact WHERE Email = 'q1@example.com'",
    });
    const attack = (await run('query', {
      soql: 'SELECT Id FROM Contact WHERE Email = :email',
      params: { email: "nobody' OR LastName != 'x" },
    })) as { records: unknown[] };
    expect(attack.records).toEqual([]);
    expect(lastRequest()?.query).toEqual({
      q: "SELECT Id FROM Contact WHERE Email = 'nobody\\' OR LastName != \\'x'",
    });
    const listed = (await run('query', {
      soql: 'SELECT Email FROM Contact WHERE Email IN :emails',
      params: { emails: ['q0@example.com', 'q1@example.com'] },
    })) as { records: unknown[] };
    expect(listed.records).toHaveLength(2);
    expect(await runError('query', { soql: 'SELECT Id FROM Contact WHERE Email = :email' })).toMatchObject({
      code: 'E_PARAMS',
    });
    expect(await runError('query', { soql: 'DELETE FROM Contact' })).toMatchObject({ code: 'E_PARAMS' });
  });

  it('declares the SOQL a literal input and flags a placeholder without a param', () => {
    expect(query.literalInputs).toEqual(['soql']);
    const check = (withValue: Record<string, unknown>) =>
      query.checkWith?.(withValue, { stdioServers: {} }) ?? [];
    expect(
      check({ soql: 'SELECT Id FROM Lead WHERE Email = :email', params: { email: '{{ trigger.email }}' } }),
    ).toEqual([]);
    expect(
      check({
        soql: 'SELECT Id FROM Lead WHERE Email = :email AND Company = :company',
        params: { email: 'x' },
      }),
    ).toEqual([
      expect.objectContaining({
        code: 'E_PARAMS',
        field: '/params',
        message: expect.stringContaining(':company'),
      }),
    ]);
  });

  it('follows nextRecordsUrl pages up to the limit', async () => {
    fake.setBatchSize(200);
    fake.seed('Account', 450, (index) => ({ Name: `Paged ${String(index).padStart(3, '0')}` }));
    const before = fake.requests.length;
    const all = (await run('query', {
      soql: 'SELECT Id, Name FROM Account ORDER BY Name ASC',
      limit: 10_000,
    })) as {
      records: { Name: string }[];
      totalSize: number;
      truncated: boolean;
    };
    expect(all).toMatchObject({ totalSize: 450, truncated: false });
    expect(all.records).toHaveLength(450);
    expect(all.records[449]?.Name).toBe('Paged 449');
    const paths = fake.requests.slice(before).map((request) => request.path);
    expect(paths[0]).toBe('/services/data/v60.0/query');
    expect(paths[1]).toMatch(/^\/services\/data\/v60\.0\/query\/01g5e[0-9a-f]+-200$/);
    expect(paths).toHaveLength(3);
    const capped = (await run('query', { soql: 'SELECT Id FROM Account', limit: 250 })) as {
      records: unknown[];
      truncated: boolean;
    };
    expect(capped.records).toHaveLength(250);
    expect(capped.truncated).toBe(true);
    fake.setBatchSize(2000);
  });

  it('malformed SOQL is E_REQUEST with the vendor code and a hint', async () => {
    const error = await runError('query', { soql: 'SELECT Id FROM Lead WHERE Email ~ 1' });
    expect(error).toMatchObject({ code: 'E_REQUEST', details: { vendorCode: 'MALFORMED_QUERY' } });
    expect((error as { hint: string }).hint).toContain('Fix the SOQL');
  });

  it('REQUEST_LIMIT_EXCEEDED (a 403) is a retryable rate limit with a wait', async () => {
    fake.fail('GET /query', {
      status: 403,
      body: salesforceError('REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'),
    });
    const error = await runError('query', { soql: 'SELECT Id FROM Lead' });
    expect(error).toMatchObject({ code: 'E_RATE_LIMITED', retryable: true, retryAfterMs: 300_000 });
    expect((error as { hint: string }).hint).toContain('API request limit');
  });

  it('an oauth2 credential connected with the salesforce provider: its instance URL, and a 401 renewed once', async () => {
    const connected = {
      authorizeUrl: salesforceOAuthProvider.authorizeUrl,
      tokenUrl: `${fake.origin}/services/oauth2/token`,
      clientId: fake.oauth.clientId,
      clientSecret: fake.oauth.clientSecret,
      provider: 'salesforce',
      accessToken: 'stale-access-token-0123456789',
      refreshToken: fake.oauth.refreshToken,
      instanceUrl: INSTANCE,
    };
    const ctx = { fetch: globalThis.fetch, signal: new AbortController().signal, now: new Date() };
    let renewed = connected;
    const tokens = {
      async refresh() {
        renewed = { ...renewed, ...(await refreshOAuth2Tokens(renewed, ctx, salesforceOAuthProvider)) };
        return { accessToken: renewed.accessToken };
      },
    };
    const result = (await runAction(
      salesforceConnector,
      'query',
      { soql: 'SELECT Id FROM Lead LIMIT 1' },
      {
        env: { ...env, tokens },
        credential: connected,
        credentialType: 'oauth2',
      },
    )) as { records: unknown[] };
    expect(result.records).toHaveLength(1);
    expect(renewed.accessToken).toBe(fake.accessToken);
    // The token answer's instance_url is kept with the renewed credential.
    expect(renewed.instanceUrl).toBe(fake.origin);
    const { instanceUrl: _gone, ...withoutInstance } = connected;
    expect(
      await runError(
        'query',
        { soql: 'SELECT Id FROM Lead' },
        { credential: withoutInstance, credentialType: 'oauth2' },
      ),
    ).toMatchObject({ code: 'E_CREDENTIAL' });
  });

  it('refuses an instance URL that is not a Salesforce host', async () => {
    expect(
      await runError(
        'query',
        { soql: 'SELECT Id FROM Lead' },
        { credential: { instanceUrl: 'https://evil.example.com', accessToken: fake.accessToken } },
      ),
    ).toMatchObject({ code: 'E_CREDENTIAL' });
  });

  it('an ended session is E_AUTH INVALID_SESSION_ID with what to do; testCredential says so too', async () => {
    const stale = credential();
    const check = (value: typeof stale) =>
      salesforceConnector.testCredential?.({
        credential: value,
        client: salesforceConnector.createClient({ credential: value, env }),
        signal: new AbortController().signal,
      });
    expect(await check(stale)).toContain('99990 of 100000');
    fake.revoke();
    const error = await runError('query', { soql: 'SELECT Id FROM Lead' }, { credential: stale });
    expect(error).toMatchObject({ code: 'E_AUTH', details: { vendorCode: 'INVALID_SESSION_ID' } });
    expect((error as { hint: string }).hint).toContain('--provider salesforce');
    await expect(check(stale)).rejects.toMatchObject({ code: 'E_AUTH' });
  });

  it('says where each write goes', () => {
    const target = (key: string, withValue: Record<string, unknown>) =>
      salesforceConnector.actions.find((action) => action.key === key)?.describeTarget?.(withValue);
    expect(target('createRecord', { sobject: 'Lead' })).toBe("the Salesforce object 'Lead'");
    expect(target('updateRecord', { sobject: 'Lead', recordId: '00Q5e00000AbCdEEAZ' })).toBe(
      "the Salesforce Lead '00Q5e00000AbCdEEAZ'",
    );
    expect(
      target('upsertRecord', { sobject: 'Contact', externalIdField: 'ERP_Id__c', externalId: 'C-1' }),
    ).toBe("the Salesforce object 'Contact', ERP_Id__c 'C-1'");
  });

  it('documents every action and the trigger', async () => {
    const doc = await readFile(salesforceConnector.docPath, 'utf8');
    expect(docSections(doc)).toEqual([
      ...salesforceConnector.actions.map((action) => action.key),
      ...salesforceConnector.triggers.map((trigger) => `trigger:${trigger.key}`),
    ]);
  });
});

describe('salesforce.recordCreated', () => {
  const trigger = recordCreated as unknown as PollTriggerDefinition;
  const poll = (after: { at: number; id: string } | undefined, filters: unknown) => {
    const value = { instanceUrl: INSTANCE, accessToken: fake.accessToken };
    return trigger.poll(
      {
        credential: value,
        client: salesforceConnector.createClient({ credential: value, env }),
        logger: createLogger({ level: 'silent' }),
        signal: new AbortController().signal,
        env,
      },
      trigger.with.parse(filters),
      { after, state: undefined },
    );
  };

  it('lists the newest records, then only those created since the watermark', async () => {
    const old = fake.seed(
      'Opportunity',
      2,
      (index) => ({ Name: `Old ${index}`, StageName: 'Prospecting' }),
      new Date('2026-12-01T08:00:00Z'),
    );
    const first = await poll(undefined, { sobject: 'Opportunity', fields: ['Name', 'StageName'] });
    expect(first.items.map((item) => item.id).sort()).toEqual(old.map((record) => record.Id).sort());
    expect(fake.requests.at(-1)?.query).toEqual({
      q: 'SELECT Id, CreatedDate, Name, StageName FROM Opportunity ORDER BY CreatedDate DESC LIMIT 200',
    });
    expect(first.items[0]).toMatchObject({
      at: Date.parse('2026-12-01T08:00:00Z'),
      data: {
        sobject: 'Opportunity',
        createdAt: '2026-12-01T08:00:00.000+00:00',
        fields: { StageName: 'Prospecting' },
      },
    });
    const [fresh] = fake.seed(
      'Opportunity',
      1,
      () => ({ Name: 'Fresh', StageName: 'Qualification' }),
      new Date('2026-12-04T10:00:05.500Z'),
    );
    const next = await poll(
      { at: Date.parse('2026-12-04T10:00:05.250Z'), id: 'x' },
      { sobject: 'Opportunity', fields: ['Name', 'StageName'] },
    );
    expect(fake.requests.at(-1)?.query).toEqual({
      q: 'SELECT Id, CreatedDate, Name, StageName FROM Opportunity WHERE CreatedDate >= 2026-12-04T10:00:05Z ORDER BY CreatedDate DESC LIMIT 200',
    });
    expect(next.items.map((item) => item.id)).toEqual([fresh?.Id]);
    expect(next.items[0]?.data).toMatchObject({ fields: { Name: 'Fresh', StageName: 'Qualification' } });
  });

  it('accepts only API names in its filters and polls at the given interval', () => {
    expect(trigger.with.safeParse({ sobject: 'Lead; DELETE' }).success).toBe(false);
    expect(
      trigger.with.safeParse({ sobject: 'Lead', fields: ["Name FROM Lead WHERE Name = 'x'"] }).success,
    ).toBe(false);
    expect(trigger.with.safeParse({ sobject: 'Lead', fields: ['Account.Name'] }).success).toBe(true);
    expect(trigger.intervalMs(trigger.with.parse({ sobject: 'Lead', intervalSeconds: 120 }))).toBe(120_000);
  });
});
