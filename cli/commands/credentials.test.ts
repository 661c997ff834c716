import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, ensureLocalOwner, type Principal, toPrincipal } from '../../access/index.ts';
import {
  createCredentialStore,
  credentialTypesOf,
  openSealed,
  parseSecretKey,
} from '../../connectors/credentials/index.ts';
import { builtinConnectors } from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { REDACTED, redactString } from '../../lib/index.ts';
import { createWorkflowService } from '../../runtime/index.ts';
import { registerCredentialsCommand } from './credentials.ts';

let db: TestDatabase;
const key = parseSecretKey(randomBytes(32).toString('base64'));

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

function sink() {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream, text: () => text };
}

async function vmesh(args: string[], stdin = '', principal?: Principal) {
  const out = sink();
  const err = sink();
  const store = createCredentialStore({ sql: db.sql, key, types: credentialTypesOf(builtinConnectors) });
  const program = new Command().exitOverride();
  registerCredentialsCommand(program, {
    openStore: async () => ({ store, sql: db.sql, principal, close: async () => {} }),
    stdin: Readable.from([stdin]),
    stdout: out.stream,
    stderr: err.stream,
  });
  process.exitCode = 0;
  await program.parseAsync(['node', 'vmesh', 'credentials', ...args]);
  const exitCode = process.exitCode;
  process.exitCode = 0;
  return { stdout: out.text(), stderr: err.text(), exitCode, store };
}

describe('vmesh credentials', () => {
  it('sets from a bare token or JSON on stdin, lists names and types only, deletes', async () => {
    const set = await vmesh(['set', 'slackBot', '--type', 'slack'], 'xoxb-1111-2222-abcdef\n');
    expect(set.stdout).toContain('Stored credential "slackBot" (type slack)');
    expect(set.stdout).not.toContain('xoxb');
    expect(await set.store.get('slackBot')).toMatchObject({ secret: { token: 'xoxb-1111-2222-abcdef' } });
    await vmesh(
      ['set', 'api', '--type', 'http'],
      '{"scheme":"header","name":"X-Api-Key","value":"k-123456"}',
    );

    const table = await vmesh(['list']);
    expect(table.stdout).toMatch(
      /NAME\s+TYPE\s+OWNER\s+SCOPE\s+STATE\s+LAST USED\s+USED BY\napi\s+http\s+-\s+workspace\s+connected\s+never\s+-\nslackBot\s+slack\s+-\s+workspace\s+connected\s+20\d\d-\S+\s+-\n/,
    );
    const json = await vmesh(['list', '--json']);
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ name: 'api', type: 'http' }),
      expect.objectContaining({ name: 'slackBot', type: 'slack' }),
    ]);
    expect(json.stdout).not.toMatch(/xoxb|k-123456/);

    expect((await vmesh(['delete', 'api'])).stdout).toContain('Deleted');
    const missing = await vmesh(['delete', 'api']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain('No credential named "api"');
  });

  it('refuses a secret that does not fit the type, with the how-to hint, and exit code 1', async () => {
    const bad = await vmesh(['set', 'gh', '--type', 'github'], 'short');
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain('not a valid "github" credential');
    expect(bad.stderr).toContain('hint:');
    expect(bad.stderr).not.toContain('short\n');
  });

  it('takes the auth styles: a bare token for url-token, JSON for aws-sigv4, checked with the style’s schema', async () => {
    const bot = await vmesh(['set', 'telegram', '--type', 'url-token'], '123456:AAH-bot-token-0123\n');
    expect(bot.stdout).toContain('Stored credential "telegram" (type url-token)');
    expect(await bot.store.get('telegram')).toMatchObject({
      type: 'url-token',
      secret: { token: '123456:AAH-bot-token-0123' },
    });
    const bad = await vmesh(
      ['set', 'aws', '--type', 'aws-sigv4'],
      '{"accessKeyId":"AKIDEXAMPLE","secretAccessKey":"aws-secret-to-hide-1","region":"Europe West"}',
    );
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain('not a valid "aws-sigv4" credential');
    expect(bad.stderr).toContain('region');
    expect(bad.stderr).toContain('service');
    expect(bad.stderr).not.toContain('aws-secret-to-hide-1');
    const good = await vmesh(
      ['set', 'aws', '--type', 'aws-sigv4'],
      '{"accessKeyId":"AKIDEXAMPLE","secretAccessKey":"aws-secret-to-hide-1","region":"eu-west-1","service":"execute-api"}',
    );
    expect(good.exitCode).toBe(0);
    await good.store.get('aws');
    expect(redactString('key aws-secret-to-hide-1')).toBe(`key ${REDACTED}`);
    expect(redactString('region eu-west-1 AKIDEXAMPLE')).toBe('region eu-west-1 AKIDEXAMPLE');
  });

  it('knows the imap type a trigger declares (email.received): checks it, and redacts its login forms once read', async () => {
    const bad = await vmesh(['set', 'inbox', '--type', 'imap'], '{"host":"imap.example.com","user":"bot"}');
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain('not a valid "imap" credential');
    expect(bad.stderr).toContain('app password');
    const secret = { host: 'imap.example.com', user: 'bot@example.com', pass: 'imap-pass-to-hide-42' };
    const good = await vmesh(['set', 'inbox', '--type', 'imap'], JSON.stringify(secret));
    expect(good.stdout).toContain('Stored credential "inbox" (type imap)');
    await good.store.get('inbox');
    const plain = Buffer.from(`\u0000${secret.user}\u0000${secret.pass}`).toString('base64');
    expect(redactString(`AUTHENTICATE PLAIN ${plain}`)).toBe(`AUTHENTICATE PLAIN ${REDACTED}`);
    expect(redactString('host imap.example.com')).toBe('host imap.example.com');
  });

  it('a new credential is private to whoever set it; its owner shares and unshares it, others may not', async () => {
    const bob = toPrincipal(await createUser(db.sql, { name: 'bob', role: 'builder' }), 'cli', 'local:bob');
    const carol = toPrincipal(
      await createUser(db.sql, { name: 'carol', role: 'builder' }),
      'cli',
      'local:carol',
    );
    await vmesh(['set', 'bobKey', '--type', 'http'], 'bob-token-123456', bob);
    expect((await vmesh(['list'])).stdout).toMatch(/bobKey\s+http\s+bob\s+private\s+connected/);

    const stolen = await vmesh(['share', 'bobKey'], '', carol);
    expect(stolen.exitCode).toBe(1);
    expect(stolen.stderr).toContain('may not change the credential "bobKey"');
    const overwrite = await vmesh(['set', 'bobKey', '--type', 'http'], 'carol-token-123456', carol);
    expect(overwrite.exitCode).toBe(1);
    expect((await vmesh(['delete', 'bobKey'], '', carol)).exitCode).toBe(1);

    expect((await vmesh(['share', 'bobKey'], '', bob)).stdout).toContain('shared with the workspace');
    expect((await vmesh(['list'])).stdout).toMatch(/bobKey\s+http\s+bob\s+workspace\s+connected/);
    expect((await vmesh(['unshare', 'bobKey'], '', bob)).stdout).toContain('private');
    const json = JSON.parse((await vmesh(['list', '--json'])).stdout) as { name: string }[];
    expect(json.find((row) => row.name === 'bobKey')).toMatchObject({ owner: 'bob', scope: 'private' });
    const entries = await db.sql`
      select action, actor, actor_id from audit_log where subject_type = 'credential' and subject_id = 'bobKey' order by id`;
    expect(entries.map((row) => `${row.action} ${row.actor}`)).toEqual([
      'credential.set bob',
      'credential.shared bob',
      'credential.unshared bob',
    ]);
  });
});

describe('vmesh credentials list|show|test|rename|delete with the workflows that use them', () => {
  const canary = 'canary-cli-Secret-55190-token';
  const workflows = () =>
    createWorkflowService(db.sql, builtinConnectors, { onTriggerChange: async () => {} });
  const uses = (name: string, credential: string) => ({
    schemaVersion: 1,
    name,
    trigger: { type: 'manual' },
    nodes: [
      {
        id: 'loop',
        uses: 'core.foreach',
        with: { items: '{{ [1] }}' },
        do: {
          nodes: [
            {
              id: 'call',
              uses: 'http.request',
              credential,
              with: { method: 'GET', url: 'https://example.com' },
            },
          ],
          edges: [],
        },
      },
    ],
    edges: [],
  });

  it('list --json has the items of GET /api/credentials; show names the workflows; no secret anywhere', async () => {
    await vmesh(['set', 'cliApi', '--type', 'http'], canary);
    const { id } = await workflows().create(uses('cli user', 'cliApi'));
    const list = await vmesh(['list', '--json']);
    const row = (JSON.parse(list.stdout) as { name: string }[]).find((entry) => entry.name === 'cliApi');
    expect(row).toEqual({
      name: 'cliApi',
      type: 'http',
      owner: null,
      scope: 'workspace',
      state: 'connected',
      stateReason: null,
      lastUsedAt: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      usedBy: [{ id, name: 'cli user', active: false }],
      usedByHidden: 0,
    });
    expect((await vmesh(['list'])).stdout).toMatch(
      /cliApi\s+http\s+-\s+workspace\s+connected\s+never\s+cli user \(inactive\)\n/,
    );
    const shown = await vmesh(['show', 'cliApi']);
    expect(shown.stdout).toContain('used by:   cli user (inactive)');
    expect(JSON.parse((await vmesh(['show', 'cliApi', '--json'])).stdout)).toEqual(row);
    const tested = await vmesh(['test', 'cliApi']);
    expect(tested.stdout).toContain('cliApi: not tested. No test for type "http"');
    expect(tested.exitCode).toBe(0);
    for (const output of [list.stdout, shown.stdout, tested.stdout]) expect(output).not.toContain(canary);
    const missing = await vmesh(['show', 'nope']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain('No credential named "nope"');
  });

  it('rename and delete are refused while an active workflow uses the credential, unless --force', async () => {
    await vmesh(['set', 'liveApi', '--type', 'http'], 'live-token-123456');
    const service = workflows();
    const { id } = await service.create(uses('live user', 'liveApi'));
    await service.activate(id);

    const refused = await vmesh(['delete', 'liveApi']);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain(`used by active workflows: "live user" (${id})`);
    expect(refused.stderr).toContain('--force');
    const renameRefused = await vmesh(['rename', 'liveApi', 'liveApi2']);
    expect(renameRefused.exitCode).toBe(1);
    expect(renameRefused.stderr).toContain('used by active workflows');

    const renamed = await vmesh(['rename', 'liveApi', 'liveApi2', '--force']);
    expect(renamed.stdout).toContain('Renamed credential "liveApi" to "liveApi2"');
    const deleted = await vmesh(['delete', 'liveApi2']);
    expect(deleted.stdout).toContain('Deleted credential "liveApi2"');

    await vmesh(['set', 'liveApi', '--type', 'http'], 'live-token-123456');
    const forced = await vmesh(['delete', 'liveApi', '--force']);
    expect(forced.exitCode).toBe(0);
    expect(forced.stdout).toContain('Active workflows that used it: "live user"');
  });

  it('the real process: `vmesh credentials list --json` and a refused delete', async () => {
    const secretKey = Buffer.from(randomBytes(32)).toString('base64');
    const processStore = createCredentialStore({
      sql: db.sql,
      key: parseSecretKey(secretKey),
      types: credentialTypesOf(builtinConnectors),
    });
    await processStore.set('procApi', 'http', { scheme: 'bearer', token: canary });
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'test',
      DATABASE_URL: db.url,
      VMESH_SECRET_KEY: secretKey,
    };
    const bin = resolve(import.meta.dirname, '../../bin/vmesh.mjs');
    const spawn = async (args: string[]) => {
      try {
        const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], {
          env,
          timeout: 60_000,
        });
        return { code: 0, stdout, stderr };
      } catch (error) {
        const failed = error as { code: number; stdout: string; stderr: string };
        return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
      }
    };
    const [listed, refused] = await Promise.all([
      spawn(['credentials', 'list', '--json']),
      spawn(['credentials', 'delete', 'liveApi2-does-not-exist']),
    ]);
    expect(listed.code, listed.stderr).toBe(0);
    const rows = JSON.parse(listed.stdout) as { name: string; state: string }[];
    expect(rows.find((row) => row.name === 'procApi')).toMatchObject({
      type: 'http',
      state: 'connected',
      usedBy: [],
    });
    expect(listed.stdout).not.toContain(canary);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('No credential named "liveApi2-does-not-exist"');
  }, 120_000);
});

describe('vmesh credentials connect', () => {
  async function connect(args: string[], stdin = '') {
    const out = sink();
    const err = sink();
    const store = createCredentialStore({ sql: db.sql, key, types: credentialTypesOf(builtinConnectors) });
    const principal = await ensureLocalOwner(db.sql, 'cli');
    const program = new Command().exitOverride();
    registerCredentialsCommand(program, {
      openStore: async () => ({ store, sql: db.sql, principal, key, close: async () => {} }),
      stdin: Readable.from([stdin]),
      stdout: out.stream,
      stderr: err.stream,
      publicUrl: 'https://vmesh.example.com',
    });
    process.exitCode = 0;
    await program.parseAsync(['node', 'vmesh', 'credentials', 'connect', ...args]);
    const exitCode = process.exitCode;
    process.exitCode = 0;
    return { stdout: out.text(), stderr: err.text(), exitCode };
  }

  it('prints a one-time link under VMESH_PUBLIC_URL; the client secret is sealed, never printed', async () => {
    const secret = `cs-${randomBytes(12).toString('hex')}`;
    const made = await connect([
      'crm',
      '--type',
      'oauth2',
      '--authorize-url',
      'https://auth.example.com/authorize',
      '--token-url',
      'https://auth.example.com/token',
      '--client-id',
      'vmesh',
      '--client-secret',
      secret,
      '--scopes',
      'read write',
      '--json',
    ]);
    expect(made.exitCode).toBe(0);
    const { url } = JSON.parse(made.stdout) as { url: string };
    expect(url).toMatch(/^https:\/\/vmesh\.example\.com\/connect\/[A-Za-z0-9_-]{32}$/);
    const rows =
      await db.sql`select row_to_json(l)::text as t from connect_links l where credential_name = 'crm'`;
    expect(rows).toHaveLength(1);
    expect(String(rows[0]?.t)).not.toContain(secret);
    expect(String(rows[0]?.t)).toContain('"link_is_bearer":true');

    const pasted = await connect(['pasted', '--type', 'bearer']);
    expect(pasted.stdout).toMatch(
      /Open this link within 30 minutes to connect "pasted".*\nhttps:\/\/vmesh\.example\.com\/connect\//s,
    );
  });

  it('--client-secret - reads the client secret from stdin, so it stays out of shell history', async () => {
    const secret = `cs-${randomBytes(12).toString('hex')}`;
    const settings = [
      '--type',
      'oauth2',
      '--authorize-url',
      'https://auth.example.com/authorize',
      '--token-url',
      'https://auth.example.com/token',
      '--client-id',
      'vmesh',
      '--client-secret',
      '-',
      '--json',
    ];
    const made = await connect(['crmStdin', ...settings], `${secret}\n`);
    expect(made.exitCode, made.stderr).toBe(0);
    const [link] = await db.sql`
      select token_hash, key_id, iv, ciphertext, auth_tag from connect_links where credential_name = 'crmStdin'`;
    // The link holds the secret read from stdin (without its newline), sealed.
    const sealed = {
      keyId: String(link?.keyId),
      iv: link?.iv as Buffer,
      ciphertext: link?.ciphertext as Buffer,
      authTag: link?.authTag as Buffer,
    };
    const stored = JSON.parse(
      openSealed(key, sealed, `connect-link:${String(link?.tokenHash)}`, 'crmStdin'),
    ) as { fields: { clientSecret: string } };
    expect(stored.fields.clientSecret).toBe(secret);
    expect(made.stdout + made.stderr).not.toContain(secret);
    const empty = await connect(['crmEmpty', ...settings], '');
    expect(empty.exitCode).toBe(1);
    expect(empty.stderr).toContain('stdin was empty');
  });

  it('refuses oauth2 without its settings, and a type no link can connect, saying what to give', async () => {
    const missing = await connect(['crm2', '--type', 'oauth2', '--client-id', 'x']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain('oauth2 settings are not valid');
    expect(missing.stderr).toContain('--authorize-url');
    const unknown = await connect(['odd', '--type', 'no-such-type']);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain('No connect link for type "no-such-type"');
  });
});
