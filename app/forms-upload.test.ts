import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { waitForRun } from '../runtime/store/run-store.ts';
import { type RunningApp, startApp } from './start.ts';

// A hosted form with a `file` field through the app as `npm start` runs it: the page posts multipart, the file is
// stored with the run the submission starts (trigger.fields.<name> is its reference) and file.extract reads it.
let db: TestDatabase;
let app: RunningApp;
const TOKEN = 'forms-upload-token-0123456789';
const owner = { authorization: `Bearer ${TOKEN}` };
const MAX_FILE = 32 * 1024;

const intake = {
  schemaVersion: 1,
  name: 'order intake',
  trigger: {
    type: 'form',
    with: {
      title: 'Send your orders',
      fields: [
        { name: 'email', label: 'Email', type: 'email', required: true },
        { name: 'orders', label: 'Orders (CSV)', type: 'file', required: true, accept: ['.csv', 'text/csv'] },
        { name: 'extras', label: 'Other files', type: 'file', multiple: true },
      ],
    },
  },
  nodes: [
    { id: 'read', uses: 'file.extract', with: { file: '{{ trigger.fields.orders }}', format: 'csv' } },
    {
      id: 'shape',
      uses: 'core.transform',
      with: { value: { who: '{{ trigger.fields.email }}', rows: '{{ steps.read.output.rows }}' } },
    },
  ],
  edges: [{ from: 'read', to: 'shape' }],
};

async function createForm(document: unknown): Promise<string> {
  const created = await fetch(`${app.url}/api/workflows`, {
    method: 'POST',
    headers: { ...owner, 'content-type': 'application/json' },
    body: JSON.stringify({ document }),
  });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const activated = await fetch(`${app.url}/api/workflows/${id}/activate`, {
    method: 'POST',
    headers: owner,
  });
  expect(activated.status).toBe(200);
  return id;
}

async function openForm(id: string): Promise<{ page: string; token: string }> {
  const page = await (await fetch(`${app.url}/forms/${id}`)).text();
  return { page, token: /name="_vmesh_form" value="([^"]+)"/.exec(page)?.[1] ?? '' };
}

const submit = (id: string, form: FormData) =>
  fetch(`${app.url}/forms/${id}`, { method: 'POST', body: form });

async function fileRows(): Promise<number> {
  const [row] = await db.sql`select (select count(*) from files) + (select count(*) from file_chunks) as n`;
  return Number(row?.n);
}

const CSV = 'sku,qty\nA-1,3\n';

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 10 });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: db.url,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    VMESH_SECRET_KEY: Buffer.alloc(32, 29).toString('base64'),
    VMESH_API_TOKEN: TOKEN,
    VMESH_RATE_LIMIT_FORMS: '0',
    VMESH_FILE_MAX_BYTES: String(MAX_FILE),
  };
  delete env.VMESH_PUBLIC_URL;
  app = await startApp(env);
}, 60_000);
afterAll(async () => {
  await app?.stop();
  await db?.drop();
});

describe('form file fields', () => {
  it('renders a multipart form with file inputs', async () => {
    const id = await createForm(intake);
    const { page } = await openForm(id);
    expect(page).toContain('enctype="multipart/form-data"');
    expect(page).toMatch(/<input type="file" id="f-orders" name="orders" accept="\.csv,text\/csv" required>/);
    expect(page).toMatch(/<input type="file" id="f-extras" name="extras" multiple>/);
  });

  it('stores the attached files with the run: trigger.fields.<name> is a file reference file.extract reads', async () => {
    const id = await createForm(intake);
    const { token } = await openForm(id);
    const form = new FormData();
    form.append('_vmesh_form', token);
    form.append('email', 'ada@example.com');
    form.append('orders', new File([CSV], 'orders.csv', { type: 'text/csv' }));
    form.append('extras', new File(['one'], 'a.txt', { type: 'text/plain' }));
    form.append('extras', new File(['two'], 'b.txt', { type: 'text/plain' }));
    const response = await submit(id, form);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Your answers were sent.');
    const [row] = await db.sql`select id, trigger from runs where workflow_id = ${id}`;
    const run = await waitForRun(db.sql, String(row?.id), { timeoutMs: 30_000 });
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ who: 'ada@example.com', rows: [{ sku: 'A-1', qty: '3' }] });
    const fields = (row?.trigger as { fields?: Record<string, unknown> } | undefined)?.fields ?? {};
    expect(fields.orders).toMatchObject({
      name: 'orders.csv',
      contentType: 'text/csv',
      size: CSV.length,
      sha256: createHash('sha256').update(CSV).digest('hex'),
    });
    expect((fields.extras as { name: string }[]).map((file) => file.name)).toEqual(['a.txt', 'b.txt']);
  });

  it('refuses a missing or wrong kind of file (400, named), and a file over the cap (413), storing nothing', async () => {
    const id = await createForm(intake);
    const before = await fileRows();
    const missing = new FormData();
    missing.append('_vmesh_form', (await openForm(id)).token);
    missing.append('email', 'ada@example.com');
    const noFile = await submit(id, missing);
    expect(noFile.status).toBe(400);
    expect(await noFile.text()).toContain('Orders (CSV): attach a file.');

    const wrong = new FormData();
    wrong.append('_vmesh_form', (await openForm(id)).token);
    wrong.append('email', 'ada@example.com');
    wrong.append('orders', new File(['%PDF-1.4'], 'orders.pdf', { type: 'application/pdf' }));
    const wrongKind = await submit(id, wrong);
    expect(wrongKind.status).toBe(400);
    expect(await wrongKind.text()).toContain('is not one of the accepted kinds (.csv, text/csv)');

    const big = new FormData();
    big.append('_vmesh_form', (await openForm(id)).token);
    big.append('email', 'ada@example.com');
    big.append('orders', new File([Buffer.alloc(MAX_FILE + 1, 0x61)], 'big.csv', { type: 'text/csv' }));
    const tooBig = await fetch(`${app.url}/forms/${id}`, {
      method: 'POST',
      headers: { accept: 'application/json' },
      body: big,
    });
    expect(tooBig.status).toBe(413);
    expect(((await tooBig.json()) as { error: { code: string } }).error.code).toBe('E_FILE_TOO_LARGE');

    const [runs] = await db.sql`select count(*)::int as n from runs where workflow_id = ${id}`;
    expect(runs?.n).toBe(0);
    expect(await fileRows()).toBe(before);
  });

  it('refuses a file field that is not a file field, and accept on a text field (validation)', async () => {
    const created = await fetch(`${app.url}/api/workflows`, {
      method: 'POST',
      headers: { ...owner, 'content-type': 'application/json' },
      body: JSON.stringify({
        document: {
          ...intake,
          trigger: {
            type: 'form',
            with: {
              title: 'Bad',
              fields: [
                { name: 'note', label: 'Note', type: 'text', accept: ['.csv'] },
                { name: 'doc', label: 'Doc', type: 'file', accept: ['csv'] },
              ],
            },
          },
        },
      }),
    });
    expect(created.status).toBe(400);
    const text = await created.text();
    expect(text).toContain('accept only applies to file fields');
    expect(text).toContain('an accept entry is a file extension');
  });
});
