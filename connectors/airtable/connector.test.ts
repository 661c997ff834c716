import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.ts';
import type { PollTriggerDefinition } from '../sdk/define.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { airtableConnector } from './connector.ts';
import { AIRTABLE_RATE_LIMIT_BODY, type AirtableFake, startAirtableFake } from './fake-server.ts';
import { formulaString, matchFormula } from './formula.ts';

let fake: AirtableFake;
let env: ReturnType<typeof createTestEnvironment>;
const credential = () => ({ token: fake.token });
type Options = { credential?: unknown };

beforeAll(async () => {
  fake = await startAirtableFake();
  env = createTestEnvironment({ airtable: fake.url });
});
afterAll(async () => {
  await fake.close();
});

const run = (key: string, input: unknown, options: Options = {}) =>
  runAction(airtableConnector, key, input, { env, credential: credential(), ...options });
const runError = (key: string, input: unknown, options: Options = {}) =>
  runActionError(airtableConnector, key, input, { env, credential: credential(), ...options });
const where = () => ({ baseId: fake.baseId, table: 'Leads' });
type Records = { records: { id: string; fields: Record<string, unknown> }[]; truncated?: boolean };

describe('airtable connector against the Airtable Web API v0 fake', () => {
  it('creates records, reads one back, updates it, and sends the documented bodies', async () => {
    const created = (await run('createRecords', {
      ...where(),
      records: [
        { Name: 'Ana Lima', Email: 'ana@example.com', Amount: 1200 },
        { Name: 'Bo Chen', Email: 'bo@example.com' },
      ],
    })) as Records;
    expect(created.records.map((record) => record.fields.Name)).toEqual(['Ana Lima', 'Bo Chen']);
    const sent = fake.requests.at(-1);
    expect(sent).toMatchObject({ method: 'POST', path: `/v0/${fake.baseId}/Leads` });
    expect(sent?.headers.authorization).toBe(`Bearer ${fake.token}`);
    expect(sent?.body).toEqual({
      records: [
        { fields: { Name: 'Ana Lima', Email: 'ana@example.com', Amount: 1200 } },
        { fields: { Name: 'Bo Chen', Email: 'bo@example.com' } },
      ],
      typecast: false,
    });

    const id = created.records[0]?.id ?? '';
    expect(await run('getRecord', { ...where(), recordId: id })).toMatchObject({
      id,
      fields: { Name: 'Ana Lima' },
      createdTime: expect.any(String),
    });
    const updated = (await run('updateRecords', {
      ...where(),
      records: [{ id, fields: { Status: 'Won' } }],
    })) as Records;
    expect(updated.records[0]?.fields).toMatchObject({ Name: 'Ana Lima', Status: 'Won' });
    expect(fake.requests.at(-1)).toMatchObject({
      method: 'PATCH',
      body: { records: [{ id, fields: { Status: 'Won' } }], typecast: false },
    });
    expect(
      await runError('createRecords', { ...where(), records: Array.from({ length: 11 }, () => ({})) }),
    ).toMatchObject({
      code: 'E_PARAMS',
    });
  });

  it('walks offset pages of a list up to limit and says when more were left', async () => {
    fake.seed(Array.from({ length: 230 }, (_, index) => ({ Name: `Seed ${index}`, Status: 'Bulk' })));
    const before = fake.requests.length;
    const capped = (await run('searchRecords', {
      ...where(),
      field: 'Status',
      value: 'Bulk',
      limit: 150,
    })) as Records;
    expect(capped.records).toHaveLength(150);
    expect(capped.truncated).toBe(true);
    const all = (await run('listRecords', { ...where(), fields: ['Name'], limit: 1000 })) as Records;
    expect(all.truncated).toBe(false);
    expect(all.records.length).toBeGreaterThanOrEqual(232);
    expect(Object.keys(all.records[0]?.fields ?? {})).toEqual(['Name']);
    const pages = fake.requests.slice(before).map((request) => request.query);
    expect(pages[0]).toMatchObject({ pageSize: '100', filterByFormula: '{Status} = "Bulk"' });
    expect(pages[1]).toHaveProperty('offset');
  });

  it('escapes search values: quotes and backslashes are data, not formula', async () => {
    const tricky = 'O"Brien\\") , TRUE()';
    fake.seed([{ Name: tricky, Email: 'tricky@example.com' }, { Name: 'Plain' }]);
    expect(formulaString(tricky)).toBe('"O\\"Brien\\\\\\") , TRUE()"');
    const found = (await run('searchRecords', { ...where(), field: 'Name', value: tricky })) as Records;
    expect(found.records.map((record) => record.fields.Email)).toEqual(['tricky@example.com']);
    const contains = (await run('searchRecords', {
      ...where(),
      field: 'Name',
      value: 'o"brien',
      match: 'contains',
    })) as Records;
    expect(contains.records).toHaveLength(1);
    expect(matchFormula('Done', true, 'equals')).toBe('{Done} = TRUE()');
    expect(await runError('searchRecords', { ...where(), field: 'Na}me', value: 'x' })).toMatchObject({
      code: 'E_PARAMS',
    });
  });

  it('maps Airtable error bodies to clear errors with hints', async () => {
    const unknown = await runError('createRecords', { ...where(), records: [{ Nmae: 'typo' }] });
    expect(unknown).toMatchObject({
      code: 'E_REQUEST',
      status: 422,
      details: { vendorCode: 'UNKNOWN_FIELD_NAME' },
    });
    expect((unknown as Error).message).toContain('Unknown field name: "Nmae"');
    expect((unknown as { hint: string }).hint).toContain('exact column name');
    const missing = await runError('getRecord', { ...where(), recordId: 'recNope0000000000' });
    expect(missing).toMatchObject({ code: 'E_NOT_FOUND', details: { vendorCode: 'NOT_FOUND' } });
    const table = await runError('listRecords', { baseId: fake.baseId, table: 'Lesds' });
    expect(table).toMatchObject({ code: 'E_NOT_FOUND', details: { vendorCode: 'TABLE_NOT_FOUND' } });
    expect((table as { hint: string }).hint).toContain('tbl');
  });

  it('a 429 is retryable after Airtable’s documented 30 seconds', async () => {
    fake.fail('POST /records', { status: 429, body: AIRTABLE_RATE_LIMIT_BODY });
    expect(await runError('createRecords', { ...where(), records: [{ Name: 'later' }] })).toMatchObject({
      code: 'E_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 30_000,
      details: { vendorCode: 'RATE_LIMIT_REACHED' },
    });
  });

  it('a revoked token is E_AUTH with how to store a new one, and testCredential says so too', async () => {
    const stale = credential();
    const check = (token: { token: string }) =>
      airtableConnector.testCredential?.({
        credential: token,
        client: airtableConnector.createClient({ credential: token, env }),
        signal: new AbortController().signal,
      });
    expect(await check(stale)).toContain('ops@example.com');
    fake.revoke();
    const error = await runError('listRecords', where(), { credential: stale });
    expect(error).toMatchObject({ code: 'E_AUTH', retryable: false });
    expect((error as { hint: string }).hint).toContain('--type airtable');
    await expect(check(stale)).rejects.toMatchObject({ code: 'E_AUTH' });
  });

  it('recordCreated lists records created after the watermark, newest first by a created-time field', async () => {
    const trigger = airtableConnector.triggers.find(
      (candidate) => candidate.key === 'recordCreated',
    ) as PollTriggerDefinition;
    const ctx = {
      credential: credential(),
      client: airtableConnector.createClient({ credential: credential(), env }),
      logger: createLogger({ level: 'silent' }),
      signal: new AbortController().signal,
      env,
    };
    const hour = 3_600_000;
    const iso = (at: number) => new Date(at).toISOString();
    const oldAt = Math.floor(Date.now() / 1000) * 1000 - 72 * hour;
    const freshAt = oldAt + 71 * hour;
    const watermark = oldAt + 24 * hour;
    const old = fake.seed([{ Name: 'Old lead', Created: iso(oldAt) }], iso(oldAt));
    const fresh = fake.seed([{ Name: 'New lead', Created: iso(freshAt) }], iso(freshAt));
    const filters = trigger.with.parse({ ...where(), createdTimeField: 'Created' });
    const polled = await trigger.poll(ctx, filters, {
      after: { at: watermark, id: old[0]?.id ?? '' },
      state: undefined,
    });
    expect(polled.items.map((item) => item.id)).toEqual([fresh[0]?.id]);
    expect(polled.items[0]).toMatchObject({ at: freshAt, data: { fields: { Name: 'New lead' } } });
    expect(fake.requests.at(-1)?.query).toMatchObject({
      filterByFormula: `IS_AFTER({Created}, DATETIME_PARSE("${iso(watermark - 1000)}"))`,
      'sort[0][field]': 'Created',
      'sort[0][direction]': 'desc',
    });
    // Without a field: CREATED_TIME(), and the first poll looks back a day only.
    const first = await trigger.poll(ctx, trigger.with.parse(where()), {
      after: undefined,
      state: undefined,
    });
    expect(first.items.map((item) => item.id)).not.toContain(old[0]?.id);
    expect(String(fake.requests.at(-1)?.query.filterByFormula)).toMatch(
      /^IS_AFTER\(CREATED_TIME\(\), DATETIME_PARSE\("/,
    );
    expect(trigger.intervalMs(trigger.with.parse(where()))).toBe(60_000);
  });

  it('documents every action and trigger', async () => {
    const doc = await readFile(airtableConnector.docPath, 'utf8');
    expect(docSections(doc)).toEqual([
      ...airtableConnector.actions.map((action) => action.key),
      ...airtableConnector.triggers.map((trigger) => `trigger:${trigger.key}`),
    ]);
  });
});
