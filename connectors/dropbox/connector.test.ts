import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectorError } from '../sdk/connector-error.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { createMemoryFiles } from '../testing/memory-files.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { dropboxApiArg } from './client.ts';
import { dropboxConnector } from './connector.ts';
import { type DropboxFake, dropboxError, startDropboxFake } from './fake-server.ts';
import { dropboxOAuthProvider } from './oauth-provider.ts';

let fake: DropboxFake;
let env: ReturnType<typeof createTestEnvironment>;

beforeAll(async () => {
  fake = await startDropboxFake();
  env = createTestEnvironment({ dropbox: fake.url, 'dropbox-content': fake.contentUrl });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
});

const credential = () => ({ token: fake.token });
const run = (key: string, input: unknown, files = createMemoryFiles()) =>
  runAction(dropboxConnector, key, input, { env, credential: credential(), files });
const runError = async (key: string, input: unknown, options: { credential?: unknown } = {}) =>
  (await runActionError(dropboxConnector, key, input, {
    env,
    credential: options.credential ?? credential(),
    files: createMemoryFiles(),
  })) as ConnectorError;

describe('dropbox actions against the Dropbox fake', () => {
  it('uploadFile streams the run file with Dropbox-API-Arg escaped to ASCII; a conflict is renamed', async () => {
    const files = createMemoryFiles();
    const file = await files.write({ name: 'Übersicht.pdf' }, Buffer.from('%PDF-1.7 hello'));
    const out = await run('uploadFile', { path: '/Berichte/Übersicht – März 😀.pdf', file }, files);
    expect(out).toMatchObject({
      kind: 'file',
      name: 'Übersicht – März 😀.pdf',
      path: '/Berichte/Übersicht – März 😀.pdf',
      size: 14,
      id: expect.stringMatching(/^id:/),
    });
    const sent = fake.requests[0];
    expect(sent?.path).toBe('/2/files/upload');
    expect(sent?.headers.authorization).toBe(`Bearer ${fake.token}`);
    expect(sent?.headers['content-type']).toBe('application/octet-stream');
    const arg = String(sent?.headers['dropbox-api-arg']);
    expect(arg).toMatch(/^[\x20-\x7e]+$/);
    expect(arg).toContain('\\u00dcbersicht \\u2013 M\\u00e4rz \\ud83d\\ude00.pdf');
    expect(JSON.parse(arg)).toEqual({
      path: '/Berichte/Übersicht – März 😀.pdf',
      mode: 'add',
      autorename: true,
      mute: false,
      strict_conflict: false,
    });
    expect(sent?.rawBody.toString()).toBe('%PDF-1.7 hello');

    const again = await run('uploadFile', { path: '/Berichte/Übersicht – März 😀.pdf', file }, files);
    expect(again).toMatchObject({ name: 'Übersicht – März 😀 (1).pdf' });
    const replaced = await run(
      'uploadFile',
      { path: '/Berichte/Übersicht – März 😀.pdf', file, mode: 'overwrite' },
      files,
    );
    expect(replaced).toMatchObject({ name: 'Übersicht – März 😀.pdf' });
  });

  it('dropboxApiArg escapes every character above 0x7E', () => {
    expect(dropboxApiArg({ path: '/a\u007fé' })).toBe('{"path":"/a\\u007f\\u00e9"}');
  });

  it('downloadFile stores the bytes as a run file, with the metadata from Dropbox-API-Result', async () => {
    const seeded = fake.seed('/Invoices/1042.pdf', 'invoice bytes');
    const files = createMemoryFiles();
    const out = (await run('downloadFile', { path: '/invoices/1042.pdf' }, files)) as {
      file: { id: string; name: string; size: number };
      entry: { id: string; rev: string };
    };
    expect(out.file).toMatchObject({ name: '1042.pdf', size: 13 });
    expect(out.entry).toMatchObject({ id: seeded.id, rev: seeded.rev, path: '/Invoices/1042.pdf' });
    const { stream } = await files.read(out.file.id);
    expect(Buffer.from(await new Response(stream).arrayBuffer()).toString()).toBe('invoice bytes');
    expect(JSON.parse(String(fake.requests[0]?.headers['dropbox-api-arg']))).toEqual({
      path: '/invoices/1042.pdf',
    });
    const byId = (await run('downloadFile', { path: seeded.id })) as { entry: { path: string } };
    expect(byId.entry.path).toBe('/Invoices/1042.pdf');
  });

  it('a missing path is a 409 path/not_found, mapped to E_NOT_FOUND with a hint', async () => {
    const error = await runError('downloadFile', { path: '/nope.txt' });
    expect(error.code).toBe('E_NOT_FOUND');
    expect(error.details).toMatchObject({ vendorCode: 'not_found', status: 409 });
    expect(error.message).toContain('path/not_found');
    expect(error.hint).toContain('path');
  });

  it('listFolder follows the cursor through list_folder/continue', async () => {
    for (const name of ['a', 'b', 'c', 'd', 'e']) fake.seed(`/Listing/${name}.txt`, name);
    fake.seed('/Listing/Sub/deep.txt', 'deep');
    fake.pageSize = 2;
    try {
      const out = (await run('listFolder', { path: '/Listing' })) as {
        entries: { kind: string; name: string }[];
        truncated: boolean;
      };
      expect(out.entries.map((entry) => `${entry.kind}:${entry.name}`).sort()).toEqual([
        'file:a.txt',
        'file:b.txt',
        'file:c.txt',
        'file:d.txt',
        'file:e.txt',
        'folder:Sub',
      ]);
      expect(out.truncated).toBe(false);
      expect(fake.requests.map((request) => request.path)).toEqual([
        '/2/files/list_folder',
        '/2/files/list_folder/continue',
        '/2/files/list_folder/continue',
      ]);
      expect(JSON.parse(String(fake.requests[0]?.body))).toMatchObject({
        path: '/Listing',
        recursive: false,
      });
      expect(JSON.parse(String(fake.requests[1]?.body))).toEqual({ cursor: expect.stringMatching(/^AAH/) });
      const capped = (await run('listFolder', { path: '/Listing', limit: 3 })) as {
        entries: unknown[];
        truncated: boolean;
      };
      expect(capped.entries).toHaveLength(3);
      expect(capped.truncated).toBe(true);
      const deep = (await run('listFolder', { path: '/Listing', recursive: true })) as {
        entries: { name: string }[];
      };
      expect(deep.entries.map((entry) => entry.name)).toContain('deep.txt');
    } finally {
      fake.pageSize = 2000;
    }
  });

  it('a 429 with Retry-After is a retryable rate limit with the wait', async () => {
    fake.fail('/2/files/list_folder', {
      status: 429,
      headers: { 'retry-after': '7' },
      body: dropboxError('too_many_requests/', { reason: { '.tag': 'too_many_requests' }, retry_after: 7 }),
    });
    const error = await runError('listFolder', { path: '' });
    expect(error.code).toBe('E_RATE_LIMITED');
    expect(error.retryable).toBe(true);
    expect(error.retryAfterMs).toBe(7000);
  });

  it('an expired generated token is E_AUTH with what to do; an oauth2 credential is renewed once on 401', async () => {
    const oldToken = fake.token;
    fake.expire('expired_access_token');
    const error = await runError('listFolder', { path: '' });
    expect(error.code).toBe('E_AUTH');
    expect(error.details).toMatchObject({ vendorCode: 'expired_access_token' });
    expect(error.hint).toContain('--provider dropbox');
    expect(error.message).not.toContain(oldToken);

    const renewed = 'sl.renewed-token-0123456789abcdef';
    fake.accept(renewed);
    let refreshes = 0;
    const out = await runAction(
      dropboxConnector,
      'listFolder',
      { path: '' },
      {
        env: {
          ...env,
          tokens: {
            refresh: async () => {
              refreshes += 1;
              return { accessToken: renewed };
            },
          },
        },
        credentialType: 'oauth2',
        credential: {
          authorizeUrl: dropboxOAuthProvider.authorizeUrl,
          tokenUrl: dropboxOAuthProvider.tokenUrl,
          clientId: 'app-key',
          clientSecret: 'app-secret',
          provider: 'dropbox',
          accessToken: oldToken,
          refreshToken: 'refresh-token',
          expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
        },
      },
    );
    expect(out).toMatchObject({ truncated: false });
    expect(refreshes).toBe(1);
    expect(fake.requests.at(-2)?.headers.authorization).toBe(`Bearer ${oldToken}`);
    expect(fake.requests.at(-1)?.headers.authorization).toBe(`Bearer ${renewed}`);
  });

  it('declares the dropbox OAuth provider with offline access', () => {
    expect(dropboxConnector.oauthProviders).toEqual([dropboxOAuthProvider]);
    expect(dropboxOAuthProvider.authorizeParams).toEqual({ token_access_type: 'offline' });
  });

  it('doc.md has one section per action', async () => {
    const doc = await readFile(dropboxConnector.docPath, 'utf8');
    expect(docSections(doc)).toEqual(dropboxConnector.actions.map((action) => action.key));
  });
});
