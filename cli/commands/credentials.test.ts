import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCredentialStore,
  credentialTypesOf,
  parseSecretKey,
} from '../../connectors/credentials/index.ts';
import { builtinConnectors } from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
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

async function vmesh(args: string[], stdin = '') {
  const out = sink();
  const err = sink();
  const store = createCredentialStore({ sql: db.sql, key, types: credentialTypesOf(builtinConnectors) });
  const program = new Command().exitOverride();
  registerCredentialsCommand(program, {
    openStore: async () => ({ store, close: async () => {} }),
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
    expect(table.stdout).toMatch(/NAME\s+TYPE\napi\s+http\nslackBot\s+slack\n/);
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
});
