import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, type Principal, toPrincipal } from '../../access/index.ts';
import {
  createCredentialStore,
  credentialTypesOf,
  parseSecretKey,
} from '../../connectors/credentials/index.ts';
import { builtinConnectors } from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { REDACTED, redactString } from '../../lib/index.ts';
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
    openStore: async () => ({ store, principal, close: async () => {} }),
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
      /NAME\s+TYPE\s+OWNER\s+SCOPE\napi\s+http\s+-\s+workspace\nslackBot\s+slack\s+-\s+workspace\n/,
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
    expect(missing.stderr).toContain('no credential named "api"');
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
    expect((await vmesh(['list'])).stdout).toMatch(/bobKey\s+http\s+bob\s+private\n/);

    const stolen = await vmesh(['share', 'bobKey'], '', carol);
    expect(stolen.exitCode).toBe(1);
    expect(stolen.stderr).toContain('may not change the credential "bobKey"');
    const overwrite = await vmesh(['set', 'bobKey', '--type', 'http'], 'carol-token-123456', carol);
    expect(overwrite.exitCode).toBe(1);
    expect((await vmesh(['delete', 'bobKey'], '', carol)).exitCode).toBe(1);

    expect((await vmesh(['share', 'bobKey'], '', bob)).stdout).toContain('shared with the workspace');
    expect((await vmesh(['list'])).stdout).toMatch(/bobKey\s+http\s+bob\s+workspace\n/);
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
