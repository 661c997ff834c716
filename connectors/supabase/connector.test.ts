import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FileRef } from '../sdk/files.ts';
import { createSafeFetch } from '../sdk/safe-fetch.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { createMemoryFiles } from '../testing/memory-files.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { supabaseConnector } from './connector.ts';
import { postgrestError, type SupabaseFake, startSupabaseFake } from './fake-server.ts';
import { filterValue } from './filters.ts';

let fake: SupabaseFake;
let env: ReturnType<typeof createTestEnvironment>;
const credential = () => ({ projectUrl: 'https://abcdefghij.supabase.co', apiKey: fake.serviceKey });
type Options = { credential?: unknown; files?: ReturnType<typeof createMemoryFiles> };

beforeAll(async () => {
  fake = await startSupabaseFake();
  env = createTestEnvironment({ supabase: fake.url });
});
afterAll(async () => {
  await fake.close();
});

const run = (key: string, input: unknown, options: Options = {}) =>
  runAction(supabaseConnector, key, input, { env, credential: credential(), ...options });
const runError = (key: string, input: unknown, options: Options = {}) =>
  runActionError(supabaseConnector, key, input, { env, credential: credential(), ...options });

describe('supabase connector against the PostgREST and Storage fake', () => {
  it('inserts with return=representation, both key headers, then updates, upserts and deletes by filters', async () => {
    const inserted = (await run('insertRows', {
      table: 'orders',
      rows: [
        { email: 'ana@example.com', status: 'new', total: 40 },
        { email: 'bo@example.com', status: 'new', total: 90 },
      ],
    })) as { rows: { id: number }[]; count: number };
    expect(inserted.count).toBe(2);
    expect(inserted.rows[0]).toMatchObject({ id: expect.any(Number), email: 'ana@example.com' });
    const sent = fake.requests.at(-1);
    expect(sent).toMatchObject({ method: 'POST', path: '/rest/v1/orders' });
    expect(sent?.headers.apikey).toBe(fake.serviceKey);
    expect(sent?.headers.authorization).toBe(`Bearer ${fake.serviceKey}`);
    expect(sent?.headers.prefer).toBe('return=representation');

    const updated = (await run('updateRows', {
      table: 'orders',
      filters: [
        { column: 'status', op: 'eq', value: 'new' },
        { column: 'total', op: 'gt', value: 50 },
      ],
      values: { status: 'paid' },
    })) as { rows: { email: string }[] };
    expect(updated.rows.map((row) => row.email)).toEqual(['bo@example.com']);
    expect(fake.requests.at(-1)).toMatchObject({
      method: 'PATCH',
      query: { status: 'eq.new', total: 'gt.50' },
      body: { status: 'paid' },
    });

    const upserted = (await run('upsertRows', {
      table: 'orders',
      onConflict: ['email'],
      rows: [
        { email: 'ana@example.com', status: 'paid' },
        { email: 'cy@example.com', status: 'new', total: 5 },
      ],
    })) as { count: number };
    expect(upserted.count).toBe(2);
    expect(fake.requests.at(-1)?.headers.prefer).toBe('resolution=merge-duplicates,return=representation');
    expect(fake.requests.at(-1)?.query).toEqual({ on_conflict: 'email' });
    expect(fake.rows('orders')).toHaveLength(3);

    const deleted = (await run('deleteRows', {
      table: 'orders',
      filters: [{ column: 'email', op: 'in', value: ['cy@example.com', 'nobody, really'] }],
    })) as { count: number };
    expect(deleted.count).toBe(1);
    expect(fake.requests.at(-1)?.query).toEqual({ email: 'in.("cy@example.com","nobody, really")' });
    expect(await runError('deleteRows', { table: 'orders', filters: [] })).toMatchObject({
      code: 'E_PARAMS',
    });
  });

  it('builds PostgREST operators safely from structured filters', () => {
    expect(filterValue({ column: 'a', op: 'in', value: ['x', 'a,b', 'q"u\\o', 'p(1)'] })).toBe(
      'in.(x,"a,b","q\\"u\\\\o","p(1)")',
    );
    expect(filterValue({ column: 'a', op: 'is', value: null, not: true })).toBe('not.is.null');
    expect(filterValue({ column: 'a', op: 'eq', value: 'x&select=secret' })).toBe('eq.x&select=secret');
    expect(() => filterValue({ column: 'a', op: 'in', value: 'x' })).toThrow(/needs a list/);
    expect(() => filterValue({ column: 'a', op: 'is', value: 'x' })).toThrow(/null, true or false/);
  });

  it('pages selectRows with Range headers and reads the count from Content-Range', async () => {
    fake.seed(
      'customers',
      Array.from({ length: 2500 }, (_, index) => ({
        email: `c${index}@example.com`,
        tier: index % 2 ? 'pro' : 'free',
      })),
    );
    const before = fake.requests.length;
    const found = (await run('selectRows', {
      table: 'customers',
      columns: ['id', 'email'],
      filters: [{ column: 'tier', op: 'eq', value: 'pro' }],
      order: [{ column: 'id', ascending: false }],
      limit: 1200,
      count: true,
    })) as { rows: { id: number; email: string }[]; total: number; truncated: boolean };
    expect(found.rows).toHaveLength(1200);
    expect(found.total).toBe(1250);
    expect(found.truncated).toBe(true);
    expect(Object.keys(found.rows[0] ?? {})).toEqual(['id', 'email']);
    const pages = fake.requests.slice(before);
    expect(pages.map((request) => request.headers.range)).toEqual(['0-999', '1000-1200']);
    expect(pages[0]?.headers['range-unit']).toBe('items');
    expect(pages[0]?.headers.prefer).toBe('count=exact');
    expect(pages[0]?.query).toMatchObject({ select: 'id,email', order: 'id.desc', tier: 'eq.pro' });
    const small = (await run('selectRows', {
      table: 'customers',
      filters: [{ column: 'email', op: 'eq', value: 'c1@example.com' }],
    })) as {
      rows: unknown[];
      total: null;
      truncated: boolean;
    };
    expect(small).toMatchObject({ total: null, truncated: false });
    expect(small.rows).toHaveLength(1);
  });

  it('maps { code, message, details, hint }: a unique violation, an unknown table, a bad filter', async () => {
    const clash = await runError('insertRows', { table: 'orders', rows: [{ email: 'ana@example.com' }] });
    expect(clash).toMatchObject({ code: 'E_REQUEST', status: 409, details: { vendorCode: '23505' } });
    expect((clash as Error).message).toContain('Key (email)=(ana@example.com) already exists.');
    expect((clash as { hint: string }).hint).toContain('upsertRows');
    const missing = await runError('selectRows', { table: 'order' });
    expect(missing).toMatchObject({ code: 'E_NOT_FOUND', details: { vendorCode: 'PGRST205' } });
    fake.fail('GET /rest/v1/:table', {
      status: 400,
      body: postgrestError(
        '42703',
        'column orders.colour does not exist',
        null,
        'Perhaps you meant "color".',
      ),
    });
    const column = await runError('selectRows', { table: 'orders', columns: ['colour'] });
    expect((column as { hint: string }).hint).toContain('column');
  });

  it('a 429 is retryable after Retry-After; a 503 is retried', async () => {
    fake.fail('POST /rest/v1/:table', {
      status: 429,
      headers: { 'retry-after': '7' },
      body: { message: 'Too many requests' },
    });
    expect(
      await runError('insertRows', { table: 'orders', rows: [{ email: 'x@example.com' }] }),
    ).toMatchObject({
      code: 'E_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 7000,
    });
    fake.fail('GET /rest/v1/:table', { status: 503, body: { message: 'upstream connect error' } });
    expect(await runError('selectRows', { table: 'orders' })).toMatchObject({
      code: 'E_UPSTREAM',
      retryable: true,
    });
  });

  it('uploads a run file to Storage and downloads it back into the run; sb_secret keys go only in apikey', async () => {
    const files = createMemoryFiles();
    const bytes = Buffer.from('%PDF-1.7 invoice 1042');
    const file = files.add('invoice.pdf', bytes, 'application/pdf');
    const secret = { credential: { ...credential(), apiKey: fake.secretKey }, files };
    const stored = await run(
      'uploadFile',
      { bucket: 'invoices', path: '2026/12/invoice 1042.pdf', file },
      secret,
    );
    expect(stored).toMatchObject({ key: 'invoices/2026/12/invoice 1042.pdf', size: bytes.length });
    const upload = fake.requests.at(-1);
    expect(upload?.path).toBe('/storage/v1/object/invoices/2026/12/invoice%201042.pdf');
    expect(upload?.headers).toMatchObject({
      apikey: fake.secretKey,
      'content-type': 'application/pdf',
      'x-upsert': 'false',
    });
    expect(upload?.headers.authorization).toBeUndefined();

    const again = await runError(
      'uploadFile',
      { bucket: 'invoices', path: '2026/12/invoice 1042.pdf', file },
      secret,
    );
    expect(again).toMatchObject({ code: 'E_REQUEST', details: { vendorCode: 'Duplicate' } });
    expect((again as { hint: string }).hint).toContain('upsert');
    expect(
      await runError('uploadFile', { bucket: 'invoices', path: '../other/x.pdf', file }, secret),
    ).toMatchObject({
      code: 'E_PARAMS',
    });

    const downloaded = z
      .object({ file: FileRef })
      .parse(await run('downloadFile', { bucket: 'invoices', path: '2026/12/invoice 1042.pdf' }, secret));
    expect(downloaded.file).toMatchObject({ name: 'invoice 1042.pdf', contentType: 'application/pdf' });
    expect(files.bytes(downloaded.file)?.equals(bytes)).toBe(true);
    const gone = await runError('downloadFile', { bucket: 'invoices', path: 'nope.pdf' }, secret);
    expect(gone).toMatchObject({ code: 'E_NOT_FOUND', details: { vendorCode: 'not_found' } });
  });

  it('a rotated key is E_AUTH with how to store a new one; testCredential says so too', async () => {
    const stale = credential();
    const check = () =>
      supabaseConnector.testCredential?.({
        credential: stale,
        client: supabaseConnector.createClient({ credential: stale, env }),
        signal: new AbortController().signal,
      });
    expect(await check()).toContain('accepts');
    fake.revoke();
    const error = await runError('selectRows', { table: 'orders' }, { credential: stale });
    expect(error).toMatchObject({ code: 'E_AUTH', retryable: false, status: 401 });
    expect((error as Error).message).toContain('Invalid API key');
    expect((error as { hint: string }).hint).toContain('Double check');
    await expect(check()).rejects.toMatchObject({ code: 'E_AUTH' });
  });

  it('the project URL from the credential goes through the guarded fetch: internal addresses are refused', async () => {
    const guarded = { ...env, baseUrls: {}, fetch: createSafeFetch() };
    const internal = { projectUrl: 'https://10.1.2.3', apiKey: fake.serviceKey };
    for (const [key, input] of [
      ['selectRows', { table: 'orders' }],
      ['downloadFile', { bucket: 'invoices', path: 'a.pdf' }],
    ] as const) {
      const error = await runActionError(supabaseConnector, key, input, {
        env: guarded,
        credential: internal,
        files: createMemoryFiles(),
      });
      expect(error, key).toMatchObject({ code: 'E_BLOCKED_DESTINATION' });
    }
  });

  it('documents every action for the agent', async () => {
    const doc = await readFile(supabaseConnector.docPath, 'utf8');
    expect(docSections(doc)).toEqual(supabaseConnector.actions.map((action) => action.key));
  });
});
