import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { googleError } from '../google/fake-auth.ts';
import { memoryTokenSource } from '../google/testing-tokens.ts';
import { clearTokenCache } from '../sdk/auth/index.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { DOCS_SCOPE } from './client.ts';
import { googleDocsConnector } from './connector.ts';
import { type DocsFake, startDocsFake } from './fake-server.ts';

let fake: DocsFake;
let env: ConnectorEnvironment;

beforeAll(async () => {
  fake = await startDocsFake();
  env = createTestEnvironment({ googledocs: fake.url, 'google-oauth': fake.oauthUrl });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => clearTokenCache());

const oauth = () => {
  const credential = fake.auth.oauthCredential([DOCS_SCOPE]);
  return { credential, credentialType: 'oauth2', env: { ...env, tokens: memoryTokenSource(credential) } };
};
const run = (key: string, input: unknown) => runAction(googleDocsConnector, key, input, oauth());
const runError = (
  key: string,
  input: unknown,
  credential: unknown = fake.auth.serviceAccount([DOCS_SCOPE]),
) =>
  runActionError(googleDocsConnector, key, input, {
    env,
    credential,
    credentialType: 'google-service-account',
  });
const last = (fragment: string) => fake.requests.filter((request) => request.path.includes(fragment)).at(-1);

describe('googledocs actions against the Docs API v1 fake', () => {
  it('creates a document with its first text (documents.create, then insertText at index 1)', async () => {
    const created = (await run('createDocument', { title: 'Meeting notes', text: 'Agenda\nPricing' })) as {
      documentId: string;
      url: string;
      revisionId: string;
    };
    expect(created).toMatchObject({ title: 'Meeting notes', revisionId: 'ALm37B2' });
    expect(created.url).toBe(`https://docs.google.com/document/d/${created.documentId}/edit`);
    expect(last('/v1/documents')?.body).toEqual({
      requests: [{ insertText: { text: 'Agenda\nPricing', location: { index: 1 } } }],
    });
    expect(decodeURIComponent(last(':batchUpdate')?.path ?? '')).toBe(
      `/v1/documents/${created.documentId}:batchUpdate`,
    );
    expect(fake.text(created.documentId)).toBe('Agenda\nPricing');
  });

  it('appends at the end of the body (endOfSegmentLocation) and reads the text back, tables included', async () => {
    const id = fake.add('Log', 'First line', {
      table: [
        ['Name', 'Total'],
        ['EMEA', '1200'],
      ],
    });
    expect(
      await run('appendText', {
        documentId: `https://docs.google.com/document/d/${id}/edit`,
        text: '\nSecond line',
      }),
    ).toEqual({
      documentId: id,
      revisionId: 'ALm37B2',
    });
    expect(last(':batchUpdate')?.body).toEqual({
      requests: [{ insertText: { text: '\nSecond line', endOfSegmentLocation: {} } }],
    });
    const read = (await run('getText', { documentId: id })) as { text: string; title: string };
    expect(read).toMatchObject({ title: 'Log', text: 'First line\nSecond line\nName\tTotal\nEMEA\t1200\n' });
  });

  it('maps Google errors: not shared with the service account, unknown document, a refused renewal', async () => {
    const privateDoc = fake.add('Private', 'x');
    const error = await runError('getText', { documentId: '1missingDocument00000' });
    expect(error).toMatchObject({ code: 'E_NOT_FOUND', details: { vendorCode: 'NOT_FOUND' } });
    expect((error as { hint: string }).hint).toContain('between /d/ and /edit');
    expect(privateDoc).toBeTruthy();
    fake.fail('documents.batchUpdate', {
      status: 403,
      body: googleError(403, 'PERMISSION_DENIED', 'The caller does not have permission'),
    });
    const denied = await runError('appendText', { documentId: privateDoc, text: 'x' });
    expect(denied).toMatchObject({ code: 'E_AUTH' });
    expect((denied as { hint: string }).hint).toContain(`share it with ${fake.auth.robotEmail}`);
    fake.fail('documents.get', {
      status: 429,
      body: googleError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded', {
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '30s' }],
      }),
    });
    expect(await runError('getText', { documentId: privateDoc })).toMatchObject({
      code: 'E_RATE_LIMITED',
      retryAfterMs: 30_000,
    });
    const { credential, env: withTokens } = oauth();
    fake.fail('documents.get', {
      status: 401,
      times: 2,
      body: googleError(401, 'UNAUTHENTICATED', 'Invalid Credentials'),
    });
    const refused = await runActionError(
      googleDocsConnector,
      'getText',
      { documentId: privateDoc },
      {
        env: withTokens,
        credential,
        credentialType: 'oauth2',
      },
    );
    expect(refused).toMatchObject({ code: 'E_AUTH' });
    expect((refused as { hint: string }).hint).toContain(
      '--provider google --scopes "https://www.googleapis.com/auth/documents"',
    );
  });
});

it('documents every action', async () => {
  const doc = await readFile(googleDocsConnector.docPath, 'utf8');
  expect(docSections(doc)).toEqual(googleDocsConnector.actions.map((action) => action.key));
});
