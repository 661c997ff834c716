import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../access/index.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { waitForRun } from '../runtime/store/run-store.ts';
import { createFormTokens } from '../runtime/triggers/form-token.ts';
import { type RunningApp, startApp } from './start.ts';
import { SESSION_COOKIE } from './web-auth/index.ts';
import { createSession } from './web-auth/session-store.ts';

// Hosted forms through the app as `npm start` runs it: the real HTTP server (reach guard, CSRF hook, rate limits)
// and its worker, which runs the steps of the runs a submission starts.
let db: TestDatabase;
let app: RunningApp;
let limited: RunningApp;
const SECRET = Buffer.alloc(32, 23);
const TOKEN = 'forms-test-token-0123456789';
const owner = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

const HOSTILE = '<script>alert(1)</script>';
const signup = {
  schemaVersion: 1,
  name: 'signup',
  trigger: {
    type: 'form',
    with: {
      title: `Join ${HOSTILE}`,
      description: 'Line one\n<b>not bold</b>',
      thankYou: 'Thanks <i>friend</i>, we will write.',
      fields: [
        { name: 'name', label: 'Your "name" <img src=x onerror=alert(1)>', type: 'text', required: true },
        { name: 'email', label: 'Email', type: 'email', required: true },
        { name: 'size', label: 'Team size', type: 'number' },
        { name: 'plan', label: 'Plan', type: 'select', options: ['solo', '"><script>x</script>'] },
        { name: 'terms', label: 'I accept', type: 'checkbox', required: true },
        { name: 'start', label: 'Start', type: 'date' },
        { name: 'notes', label: 'Notes', type: 'textarea' },
      ],
    },
  },
  nodes: [
    {
      id: 'shape',
      uses: 'core.transform',
      with: { value: { who: '{{ trigger.fields.email }}', size: '{{ trigger.fields.size }}' } },
    },
  ],
  edges: [],
};

async function createForm(target: RunningApp, document: unknown, active = true): Promise<string> {
  const created = await fetch(`${target.url}/api/workflows`, {
    method: 'POST',
    headers: owner,
    body: JSON.stringify({ document }),
  });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  if (active) {
    const activated = await fetch(`${target.url}/api/workflows/${id}/activate`, {
      method: 'POST',
      headers: { authorization: owner.authorization },
    });
    expect(activated.status).toBe(200);
  }
  return id;
}

const tokenIn = (page: string) => /name="_vmesh_form" value="([^"]+)"/.exec(page)?.[1] ?? '';

async function openForm(
  id: string,
  target = app,
): Promise<{ response: Response; page: string; token: string }> {
  const response = await fetch(`${target.url}/forms/${id}`);
  const page = await response.text();
  return { response, page, token: tokenIn(page) };
}

function post(
  id: string,
  values: Record<string, string>,
  headers: Record<string, string> = {},
  target = app,
): Promise<Response> {
  return fetch(`${target.url}/forms/${id}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(values).toString(),
  });
}

const good = { name: 'Ada', email: 'ada@example.com', size: '12', plan: 'solo', terms: 'on' };
const runsOf = async (id: string) =>
  (await db.sql`select count(*)::int as n from runs where workflow_id = ${id}`)[0]?.n as number;

let formId: string;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 10 });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: db.url,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    VMESH_SECRET_KEY: SECRET.toString('base64'),
    VMESH_API_TOKEN: TOKEN,
    VMESH_RATE_LIMIT_FORMS: '0',
  };
  delete env.VMESH_PUBLIC_URL;
  app = await startApp(env);
  limited = await startApp({
    ...env,
    VMESH_NO_WORKER: '1',
    VMESH_RATE_LIMIT_FORMS: '3',
    VMESH_RATE_LIMIT_FORMS_PER_WORKFLOW: '5',
  });
  formId = await createForm(app, signup);
}, 60_000);
afterAll(async () => {
  await limited?.stop();
  await app?.stop();
  await db?.drop();
});

describe('GET /forms/:workflowId', () => {
  it('serves the form as a self-contained page, every document text escaped', async () => {
    const { response, page, token } = await openForm(formId);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("form-action 'self'");
    expect(csp).not.toMatch(/script-src/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(page).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    // Nothing the document says becomes markup: no script, no image, no attribute broken out of.
    expect(page).not.toMatch(/<script|<img|<b>|<i>|https?:\/\//i);
    expect(page).toContain('Join &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('Your &quot;name&quot; &lt;img src=x onerror=alert(1)&gt;');
    expect(page).toContain('<option value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;">');
    // Labels tied to their inputs, native validation attributes.
    expect(page).toContain('<label for="f-email">');
    expect(page).toMatch(/<input type="email" id="f-email" name="email"[^>]* required>/);
    expect(page).toMatch(/<input type="number" id="f-size"/);
    expect(page).toMatch(/<input type="date" id="f-start"/);
    expect(page).toMatch(/<input type="checkbox" id="f-terms" name="terms" value="on" required>/);
    expect(page).toContain(`action="/forms/${formId}"`);
    expect(token).toMatch(/^v1\./);
  });

  it('is one 404 for an unknown id, an inactive workflow and a workflow that is no form', async () => {
    const inactive = await createForm(app, signup, false);
    const webhook = await createForm(app, { ...signup, trigger: { type: 'webhook' } });
    const pages = await Promise.all(
      ['wf_unknown', inactive, webhook, 'a%00b'].map(async (id) => {
        const response = await fetch(`${app.url}/forms/${id}`);
        return { status: response.status, text: await response.text() };
      }),
    );
    expect(pages.map((page) => page.status)).toEqual([404, 404, 404, 404]);
    expect(new Set(pages.map((page) => page.text)).size).toBe(1);
    const posted = await post(inactive, good);
    expect(posted.status).toBe(404);
    expect(await runsOf(inactive)).toBe(0);
  });

  it('a deactivated form stops at once', async () => {
    const id = await createForm(app, signup);
    const { token } = await openForm(id);
    await fetch(`${app.url}/api/workflows/${id}/deactivate`, {
      method: 'POST',
      headers: { authorization: owner.authorization },
    });
    expect((await openForm(id)).response.status).toBe(404);
    expect((await post(id, { ...good, _vmesh_form: token })).status).toBe(404);
    expect(await runsOf(id)).toBe(0);
  });
});

describe('POST /forms/:workflowId', () => {
  it('starts a run with trigger.fields and answers with the thank-you page; a double submit starts one run', async () => {
    const id = await createForm(app, signup);
    const { token } = await openForm(id);
    const response = await post(id, { ...good, notes: 'two\r\nlines', extra: 'ignored', _vmesh_form: token });
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain('Thanks &lt;i&gt;friend&lt;/i&gt;, we will write.');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const [run] = await db.sql`select id, trigger, trigger_type from runs where workflow_id = ${id}`;
    expect(run?.triggerType).toBe('form');
    const trigger = run?.trigger as { fields: Record<string, unknown>; submittedAt: string };
    expect(trigger.fields).toEqual({
      name: 'Ada',
      email: 'ada@example.com',
      size: 12,
      plan: 'solo',
      terms: true,
      start: null,
      notes: 'two\r\nlines',
    });
    expect(Number.isNaN(Date.parse(trigger.submittedAt))).toBe(false);
    const view = await waitForRun(db.sql, String(run?.id));
    expect(view.status).toBe('succeeded');
    expect(view.steps.find((step) => step.id === 'shape')?.output).toEqual({
      who: 'ada@example.com',
      size: 12,
    });
    // The same page sent again (a double click, a reload): the same run, no second one.
    const again = await post(id, { ...good, _vmesh_form: token });
    expect(again.status).toBe(200);
    expect(await runsOf(id)).toBe(1);
    const other = await openForm(id);
    expect((await post(id, { ...good, _vmesh_form: other.token })).status).toBe(200);
    expect(await runsOf(id)).toBe(2);
  });

  it('a missing required field is 400 naming it; the page comes back with the answers kept', async () => {
    const id = await createForm(app, signup);
    const { token } = await openForm(id);
    const response = await post(id, {
      name: 'Ada <3',
      size: '7',
      plan: 'solo',
      terms: 'on',
      _vmesh_form: token,
    });
    expect(response.status).toBe(400);
    const page = await response.text();
    expect(page).toContain('role="alert"');
    expect(page).toContain('<a href="#f-email">Email is required.</a>');
    expect(page).toMatch(/id="f-email"[^>]*aria-invalid="true" aria-describedby="f-email-error"/);
    expect(page).toContain('<p class="error" id="f-email-error">Email is required.</p>');
    expect(page).toMatch(/id="f-name"[^>]*value="Ada &lt;3"/);
    expect(page).toMatch(/id="f-size"[^>]*value="7"/);
    expect(page).toContain('<option value="solo" selected>');
    expect(page).toMatch(/id="f-terms"[^>]* checked/);
    expect(tokenIn(page)).toMatch(/^v1\./);
    expect(await runsOf(id)).toBe(0);
  });

  it('JSON clients get the form and a token, and E_FORM_INVALID naming each wrong field', async () => {
    const id = await createForm(app, signup);
    const opened = await fetch(`${app.url}/forms/${id}`, { headers: { accept: 'application/json' } });
    const { form, formToken } = (await opened.json()) as { form: { title: string }; formToken: string };
    expect(form.title).toBe(signup.trigger.with.title);
    const send = (fields: Record<string, unknown>, token = formToken) =>
      fetch(`${app.url}/forms/${id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ formToken: token, fields }),
      });
    const bad = await send({
      name: 'Ada',
      email: 'not-an-email',
      size: 'many',
      terms: true,
      start: '2030-02-30',
    });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as {
      error: { code: string; fields: { name: string; message: string }[] };
    };
    expect(body.error.code).toBe('E_FORM_INVALID');
    expect(body.error.fields.map((field) => field.name)).toEqual(['email', 'size', 'start']);
    expect(body.error.fields[0]?.message).toMatch(/email address/);
    const missing = await send({ email: 'ada@example.com', terms: true });
    expect(((await missing.json()) as typeof body).error.fields).toEqual([
      { name: 'name', message: expect.stringMatching(/required/) },
    ]);
    const started = await send({ name: 'Ada', email: 'ada@example.com', size: 3, terms: true });
    expect(started.status).toBe(202);
    const { runId } = (await started.json()) as { runId: string };
    const [run] = await db.sql`select trigger from runs where id = ${runId}`;
    expect((run?.trigger as { fields?: unknown } | undefined)?.fields).toMatchObject({
      name: 'Ada',
      size: 3,
      terms: true,
    });
    expect((await send({ name: 'Ada' }, '')).status).toBe(403);
  });

  it('refuses a missing, forged, expired or other-workflow token with 403 and starts nothing', async () => {
    const id = await createForm(app, signup);
    const other = await createForm(app, signup);
    const { token } = await openForm(id);
    const tokens = createFormTokens(SECRET);
    const forged = `${token.slice(0, -4)}AAAA`;
    const wrongKey = createFormTokens(Buffer.alloc(32, 1)).issue(id);
    const expired = tokens.issue(id, Date.now() - 61 * 60_000);
    const foreign = (await openForm(other)).token;
    for (const [label, value] of [
      ['missing', undefined],
      ['empty', ''],
      ['garbage', 'hello'],
      ['forged', forged],
      ['another key', wrongKey],
      ['other workflow', foreign],
    ] as const) {
      const response = await post(id, value === undefined ? good : { ...good, _vmesh_form: value });
      expect(response.status, label).toBe(403);
      expect(await response.text(), label).toContain('did not come from the form page');
    }
    const old = await post(id, { ...good, _vmesh_form: expired });
    expect(old.status).toBe(403);
    const page = await old.text();
    // An expired page comes back with the answers and a fresh token: sending it again works.
    expect(page).toContain('more than an hour');
    expect(page).toMatch(/id="f-email"[^>]*value="ada@example.com"/);
    expect(await runsOf(id)).toBe(0);
    expect((await post(id, { ...good, _vmesh_form: tokenIn(page) })).status).toBe(200);
    expect(await runsOf(id)).toBe(1);
  });

  it('refuses submissions from another site: a foreign Origin, a foreign Referer, Sec-Fetch-Site cross-site', async () => {
    const id = await createForm(app, signup);
    const { token } = await openForm(id);
    const values = { ...good, _vmesh_form: token };
    const foreign: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { referer: 'https://evil.example/page' },
      { 'sec-fetch-site': 'cross-site' },
    ];
    for (const headers of foreign) {
      const response = await post(id, values, headers);
      expect(response.status, JSON.stringify(headers)).toBe(403);
    }
    expect(await runsOf(id)).toBe(0);
    const own = await post(id, values, { origin: app.url, referer: `${app.url}/forms/${id}` });
    expect(own.status).toBe(200);
  });

  it('refuses other content types with 415, and a multipart post without the page token with 403', async () => {
    const id = await createForm(app, signup);
    const multipart = new FormData();
    multipart.set('name', 'Ada');
    const response = await fetch(`${app.url}/forms/${id}`, { method: 'POST', body: multipart });
    expect(response.status).toBe(403);
    const xml = await fetch(`${app.url}/forms/${id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/xml' },
      body: '<name>Ada</name>',
    });
    expect(xml.status).toBe(415);
    expect(await runsOf(id)).toBe(0);
  });

  it('answers with the core.respond result when the workflow has one', async () => {
    const id = await createForm(app, {
      ...signup,
      nodes: [
        {
          id: 'answer',
          uses: 'core.respond',
          with: { status: 201, body: { ok: true, email: '{{ trigger.fields.email }}' } },
        },
      ],
    });
    const { token } = await openForm(id);
    const response = await post(id, { ...good, _vmesh_form: token });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ ok: true, email: 'ada@example.com' });
    expect(response.headers.get('content-security-policy')).toMatch(/sandbox/);
    expect(response.headers.get('x-vmesh-run-id')).toMatch(/^run_/);
  });

  it('a signed-in browser submits without the session CSRF header (the form token is the proof)', async () => {
    const id = await createForm(app, signup);
    const { token } = await openForm(id);
    const user = await createUser(db.sql, { name: 'pat', role: 'viewer' });
    const session = await createSession(db.sql, {
      userId: user.id,
      method: 'link',
      times: { idleTimeoutMs: 60_000, maxAgeMs: 60_000 },
    });
    const cookie = `${SESSION_COOKIE}=${session.cookieValue}`;
    // The cookie is a live session: an API change without the CSRF header is refused...
    const api = await fetch(`${app.url}/api/workflows/${id}/deactivate`, {
      method: 'POST',
      headers: { cookie },
    });
    expect(api.status).toBe(403);
    // ...but the form is no API call of that session: its own token is what counts.
    const response = await post(id, { ...good, _vmesh_form: token }, { cookie });
    expect(response.status).toBe(200);
    expect(await runsOf(id)).toBe(1);
  });

  it('shows the form URL in the workflow view', async () => {
    const shown = await fetch(`${app.url}/api/workflows/${formId}`, { headers: owner });
    const view = (await shown.json()) as { form?: { url: string } };
    expect(view.form?.url).toMatch(new RegExp(`/forms/${formId}$`));
  });
});

describe('rate limits', () => {
  it('limits submissions per client IP across forms (VMESH_RATE_LIMIT_FORMS) → 429', async () => {
    const one = await createForm(limited, signup);
    const two = await createForm(limited, signup);
    const statuses: number[] = [];
    for (const id of [one, one, two, two]) statuses.push((await post(id, good, {}, limited)).status);
    expect(statuses).toEqual([403, 403, 403, 429]);
    const refused = await post(two, good, {}, limited);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('E_RATE_LIMITED');
    // A browser sending the page gets a page of the form saying how long to wait, not JSON.
    const page = await post(two, good, { accept: 'text/html,application/xhtml+xml' }, limited);
    expect(page.status).toBe(429);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await page.text()).toMatch(/Too many submissions[\s\S]*Wait \d+ seconds/);
    // The page itself is not a submission.
    expect((await openForm(two, limited)).response.status).toBe(200);
  });

  it('limits submissions per workflow, from any client', async () => {
    const server = limited.server;
    const id = await createForm(limited, signup);
    const host = new URL(limited.url).host;
    const statuses: number[] = [];
    for (let index = 0; index < 7; index++) {
      const response = await server.inject({
        method: 'POST',
        url: `/forms/${id}`,
        remoteAddress: `10.0.0.${index + 1}`,
        headers: { host, 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'name=Ada',
      });
      statuses.push(response.statusCode);
    }
    expect(statuses).toEqual([403, 403, 403, 403, 403, 429, 429]);
  });
});
