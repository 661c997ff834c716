import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { adfToText, textToAdf } from './adf.ts';
import { jiraConnector } from './connector.ts';
import { type JiraFake, jiraError, startJiraFake } from './fake-server.ts';
import { issueCreated, signJiraPayload } from './triggers/issue-created.ts';

let fake: JiraFake;
let env: ReturnType<typeof createTestEnvironment>;
const credential = () => ({ site: 'https://acme.atlassian.net', email: fake.email, apiToken: fake.apiToken });

beforeAll(async () => {
  fake = await startJiraFake();
  env = createTestEnvironment({ jira: fake.url });
});
afterAll(async () => {
  await fake.close();
});

const run = (key: string, input: unknown, options: { credential?: unknown } = {}) =>
  runAction(jiraConnector, key, input, { env, credential: credential(), ...options });
const runError = (key: string, input: unknown, options: { credential?: unknown } = {}) =>
  runActionError(jiraConnector, key, input, { env, credential: credential(), ...options });

describe('jira connector against the Jira Cloud REST v3 fake', () => {
  it('creates an issue with an ADF description, updates it, comments and transitions it', async () => {
    const created = (await run('createIssue', {
      projectKey: 'SUP',
      issueType: 'Bug',
      summary: 'Checkout fails with a 500',
      description: 'Steps:\n1. add to cart\n\nSeen by 3 customers.',
      labels: ['checkout'],
      priority: 'High',
    })) as { key: string; url: string };
    expect(created.key).toMatch(/^SUP-\d+$/);
    expect(created.url).toBe(`${new URL(fake.url).origin}/browse/${created.key}`);
    const sent = fake.requests.at(-1);
    expect(sent?.method).toBe('POST');
    expect(sent?.path).toBe('/rest/api/3/issue');
    expect(sent?.headers.authorization).toBe(
      `Basic ${Buffer.from(`${fake.email}:${fake.apiToken}`).toString('base64')}`,
    );
    expect(sent?.body).toEqual({
      fields: {
        project: { key: 'SUP' },
        issuetype: { name: 'Bug' },
        summary: 'Checkout fails with a 500',
        description: {
          type: 'doc',
          version: 1,
          content: [
            {
              type: 'paragraph',
              content: [
                { type: 'text', text: 'Steps:' },
                { type: 'hardBreak' },
                { type: 'text', text: '1. add to cart' },
              ],
            },
            { type: 'paragraph', content: [{ type: 'text', text: 'Seen by 3 customers.' }] },
          ],
        },
        labels: ['checkout'],
        priority: { name: 'High' },
      },
    });

    expect(
      await run('updateIssue', { issueKey: created.key, addLabels: ['triaged'], assigneeAccountId: null }),
    ).toEqual({ issueKey: created.key, updated: true });
    expect(fake.requests.at(-1)).toMatchObject({
      method: 'PUT',
      path: `/rest/api/3/issue/${created.key}`,
      query: { notifyUsers: 'true' },
      body: { fields: { assignee: null }, update: { labels: [{ add: 'triaged' }] } },
    });

    const comment = await run('addComment', { issueKey: created.key, text: 'We are on it.' });
    expect(comment).toMatchObject({ issueKey: created.key, author: 'Ana Silva' });
    expect(fake.requests.at(-1)?.body).toEqual({ body: textToAdf('We are on it.') });

    expect(await run('transitionIssue', { issueKey: created.key, transition: 'in progress' })).toEqual({
      issueKey: created.key,
      transitionId: '11',
      status: 'In Progress',
    });
    expect(fake.requests.at(-1)?.body).toEqual({ transition: { id: '11' } });
    const issue = fake.issues().find((candidate) => candidate.key === created.key);
    expect(issue?.fields.status.name).toBe('In Progress');
    expect(issue?.fields.labels).toEqual(['checkout', 'triaged']);

    const wrong = await runError('transitionIssue', { issueKey: created.key, transition: 'Shipped' });
    expect(wrong).toMatchObject({ code: 'E_REQUEST', retryable: false });
    expect((wrong as Error).message).toContain('"Stop progress", "Done"');
  });

  it('searches with JQL, walking nextPageToken in the POST body', async () => {
    fake.seed(230, 'ENG');
    const before = fake.requests.length;
    const found = (await run('searchIssues', { jql: 'project = ENG ORDER BY created DESC', limit: 210 })) as {
      issues: { key: string; summary: string }[];
      truncated: boolean;
    };
    expect(found.issues).toHaveLength(210);
    expect(found.truncated).toBe(true);
    expect(found.issues[0]).toMatchObject({ key: 'ENG-1', summary: 'Seeded issue 1', status: 'To Do' });
    const pages = fake.requests.slice(before).map((request) => request.body as Record<string, unknown>);
    expect(pages).toHaveLength(3);
    expect(pages[0]).toMatchObject({ jql: 'project = ENG ORDER BY created DESC', maxResults: 100 });
    expect(pages[0]).not.toHaveProperty('nextPageToken');
    expect(pages[1]).toHaveProperty('nextPageToken');
    const all = (await run('searchIssues', { jql: 'project = ENG', limit: 1000 })) as {
      issues: unknown[];
      truncated: boolean;
    };
    expect(all).toMatchObject({ truncated: false });
    expect(all.issues).toHaveLength(230);
  });

  it('maps field errors to a message that names the field and says what to change', async () => {
    const error = await runError('createIssue', { projectKey: 'NOPE', summary: 'x', issueType: 'Incident' });
    expect(error).toMatchObject({ code: 'E_REQUEST', retryable: false, status: 400 });
    expect((error as Error).message).toContain('project: valid project is required');
    expect((error as Error).message).toContain('issuetype: Specify a valid issue type');
    expect((error as { hint: string }).hint).toContain('projectKey must be the key of a project');
    expect((error as { details: unknown }).details).toMatchObject({ vendorCode: 'field:project,issuetype' });
    const missing = await runError('addComment', { issueKey: 'SUP-9999', text: 'hello' });
    expect(missing).toMatchObject({ code: 'E_NOT_FOUND' });
    expect((missing as Error).message).toContain('Issue does not exist');
  });

  it('a 429 is retryable after Retry-After', async () => {
    fake.fail('POST /search/jql', {
      status: 429,
      headers: { 'retry-after': '7' },
      body: jiraError(['Rate limit exceeded.']),
    });
    expect(await runError('searchIssues', { jql: 'project = SUP' })).toMatchObject({
      code: 'E_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 7000,
    });
  });

  it('refuses a site that is not a Jira Cloud site', async () => {
    expect(
      await runError(
        'searchIssues',
        { jql: 'x' },
        { credential: { ...credential(), site: 'http://169.254.169.254' } },
      ),
    ).toMatchObject({ code: 'E_CREDENTIAL' });
  });

  it('a revoked API token is E_AUTH with how to make a new one; testCredential says so too', async () => {
    const stale = credential();
    const check = (given: ReturnType<typeof credential>) =>
      jiraConnector.testCredential?.({
        credential: given,
        client: jiraConnector.createClient({ credential: given, env }),
        signal: new AbortController().signal,
      });
    expect(await check(stale)).toContain('Ana Silva');
    fake.revoke();
    const error = await runError('searchIssues', { jql: 'project = SUP' }, { credential: stale });
    expect(error).toMatchObject({ code: 'E_AUTH', retryable: false });
    expect((error as { hint: string }).hint).toContain('--type jira');
    await expect(check(stale)).rejects.toMatchObject({ code: 'E_AUTH' });
  });

  it('issueCreated: verifies X-Hub-Signature over the raw body, parses the issue and applies the filters', () => {
    const secret = 'jira-webhook-secret-0123456789';
    const raw = Buffer.from(
      JSON.stringify({
        timestamp: 1_764_840_600_000,
        webhookEvent: 'jira:issue_created',
        user: { accountId: '5b10', displayName: 'Ana Silva' },
        issue: {
          id: '10042',
          key: 'SUP-42',
          self: 'https://acme.atlassian.net/rest/api/3/issue/10042',
          fields: {
            summary: 'Refund not received',
            description: textToAdf('Order 1042.\n\nPaid by card.'),
            issuetype: { name: 'Bug' },
            project: { key: 'SUP' },
            status: { name: 'To Do' },
            labels: ['billing'],
          },
        },
      }),
    );
    const delivery = (signature: string) => ({
      headers: { 'x-hub-signature': signature, 'x-atlassian-webhook-identifier': 'wh-1' },
      rawBody: raw,
      body: JSON.parse(raw.toString()) as unknown,
    });
    if (issueCreated.kind !== 'webhook') throw new Error('webhook trigger expected');
    expect(issueCreated.verify(delivery(signJiraPayload(raw, secret)), secret)).toBe(true);
    expect(issueCreated.verify(delivery(signJiraPayload(raw, 'another-secret')), secret)).toBe(false);
    expect(issueCreated.verify(delivery(signJiraPayload(`${raw} `, secret)), secret)).toBe(false);
    expect(issueCreated.verify(delivery('sha256=zz'), secret)).toBe(false);
    expect(issueCreated.deliveryId?.(delivery(''))).toBe('wh-1');
    const data = issueCreated.parse(delivery(''));
    expect(data).toMatchObject({
      issue: {
        key: 'SUP-42',
        url: 'https://acme.atlassian.net/browse/SUP-42',
        description: 'Order 1042.\nPaid by card.',
        issueType: 'Bug',
      },
      createdBy: { displayName: 'Ana Silva' },
    });
    const filters = (value: unknown) => issueCreated.with.parse(value);
    expect(issueCreated.matches?.(filters({ projects: ['SUP'], issueTypes: ['bug'] }), data)).toBe(true);
    expect(issueCreated.matches?.(filters({ projects: ['ENG'] }), data)).toBe(false);
    expect(issueCreated.matches?.(filters({ labels: ['sales'] }), data)).toBe(false);
    expect(
      issueCreated.parse({ ...delivery(''), body: { webhookEvent: 'jira:issue_updated', issue: {} } }),
    ).toBeUndefined();
  });

  it('reads ADF back as text and caps hostile nesting', () => {
    let deep: Record<string, unknown> = { type: 'text', text: 'bottom' };
    for (let level = 0; level < 200; level++) deep = { type: 'paragraph', content: [deep] };
    expect(adfToText({ type: 'doc', content: [deep] })).toBe('');
    expect(adfToText(textToAdf('a\nb\n\nc'))).toBe('a\nb\nc');
  });

  it('documents every action and the trigger', async () => {
    const doc = await readFile(jiraConnector.docPath, 'utf8');
    expect(docSections(doc)).toEqual([
      ...jiraConnector.actions.map((action) => action.key),
      ...jiraConnector.triggers.map((trigger) => `trigger:${trigger.key}`),
    ]);
  });
});
