import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { REDACTED, redactString } from '../../lib/redact.ts';
import { type CredentialStore, createCredentialStore } from './credential-store.ts';
import { loadSecretKey, parseSecretKey } from './secret-key.ts';

let db: TestDatabase;
let store: CredentialStore;
const key = parseSecretKey(randomBytes(32).toString('base64'));
const types = [
  { type: 'demo', schema: z.strictObject({ token: z.string().min(8) }), howToGet: 'Ask the admin.' },
];

beforeAll(async () => {
  db = await createTestDatabase();
  store = createCredentialStore({ sql: db.sql, key, types });
});
afterAll(async () => {
  await db.drop();
});

describe('credential store', () => {
  it('round-trips a secret, replaces it, lists names and types only, and deletes it', async () => {
    await store.set('main', 'demo', { token: 'first-secret-value' });
    await store.set('main', 'demo', { token: 'second-secret-value' });
    expect(await store.get('main')).toEqual({
      name: 'main',
      type: 'demo',
      secret: { token: 'second-secret-value' },
    });
    const listed = await store.list();
    expect(listed).toEqual([
      {
        name: 'main',
        type: 'demo',
        ownerId: null,
        ownerName: null,
        scope: 'workspace',
        state: 'connected',
        stateReason: null,
        lastUsedAt: expect.any(Date),
        createdAt: expect.any(Date),
        updatedAt: expect.any(Date),
      },
    ]);
    expect(JSON.stringify(listed)).not.toContain('secret-value');
    expect(await store.delete('main')).toBe(true);
    expect(await store.delete('main')).toBe(false);
    expect(await store.get('main')).toBeUndefined();
  });

  it('records the last use at most once a minute (not for recordUse: false); renames without re-sealing', async () => {
    await store.set('used', 'demo', { token: 'used-secret-value' });
    await store.get('used', { recordUse: false });
    expect((await store.summary('used'))?.lastUsedAt).toBeNull();
    await store.get('used');
    const first = (await store.summary('used'))?.lastUsedAt;
    expect(first).toBeInstanceOf(Date);
    await store.get('used');
    expect((await store.summary('used'))?.lastUsedAt).toEqual(first);
    await db.sql`update credentials set last_used_at = now() - interval '2 minutes' where name = 'used'`;
    await store.get('used');
    expect(((await store.summary('used'))?.lastUsedAt?.getTime() ?? 0) > Date.now() - 60_000).toBe(true);

    await store.set('other-name', 'demo', { token: 'x-secret-value' });
    await expect(store.rename('used', 'other-name')).rejects.toMatchObject({ code: 'E_CREDENTIAL_EXISTS' });
    await expect(store.rename('used', 'bad name')).rejects.toMatchObject({ code: 'E_CREDENTIAL' });
    await expect(store.rename('nope', 'x')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    expect(await store.rename('used', 'renamed')).toMatchObject({ name: 'renamed', type: 'demo' });
    expect(await store.get('renamed')).toMatchObject({ secret: { token: 'used-secret-value' } });
    expect(await store.get('used')).toBeUndefined();
  });

  it('stores a state with its reason redacted; the database refuses an unknown state', async () => {
    await store.set('stateful', 'demo', { token: 'stateful-secret-value' });
    await store.get('stateful');
    await store.setState('stateful', 'expired', 'token stateful-secret-value expired');
    expect(await store.summary('stateful')).toMatchObject({ state: 'expired' });
    expect((await store.summary('stateful'))?.stateReason).not.toContain('stateful-secret-value');
    await expect(db.sql`update credentials set state = 'broken' where name = 'stateful'`).rejects.toThrow();
  });

  it('never stores the plaintext or the key in the database', async () => {
    await store.set('plain', 'other', { apiKey: 'very-visible-plaintext' });
    const [row] = await db.sql`select * from credentials where name = 'plain'`;
    const dump = JSON.stringify(row, (_key, value) =>
      value?.type === 'Buffer' ? Buffer.from(value.data).toString('latin1') : value,
    );
    expect(dump).not.toContain('very-visible-plaintext');
    expect(dump).not.toContain(key.key.toString('base64'));
    expect(row?.keyId).toBe(key.id);
  });

  it('registers decrypted values with the redactor', async () => {
    await store.set('redacted', 'demo', { token: 'token-to-hide-123' });
    await store.get('redacted');
    expect(redactString('x token-to-hide-123 y')).toBe(`x ${REDACTED} y`);
  });

  it('detects a tampered ciphertext', async () => {
    await store.set('tamper', 'demo', { token: 'tamper-secret-1' });
    await db.sql`update credentials set ciphertext = set_byte(ciphertext, 0, (get_byte(ciphertext, 0) + 1) % 256) where name = 'tamper'`;
    await expect(store.get('tamper')).rejects.toMatchObject({ code: 'E_CREDENTIAL_TAMPERED' });
  });

  it('refuses a ciphertext copied to another row (the id is the associated data)', async () => {
    await store.set('source', 'demo', { token: 'source-secret-1' });
    await store.set('target', 'demo', { token: 'target-secret-1' });
    await db.sql`
      update credentials t set iv = s.iv, ciphertext = s.ciphertext, auth_tag = s.auth_tag
      from credentials s where s.name = 'source' and t.name = 'target'`;
    await expect(store.get('target')).rejects.toMatchObject({ code: 'E_CREDENTIAL_TAMPERED' });
    expect(await store.get('source')).toMatchObject({ secret: { token: 'source-secret-1' } });
  });

  it('says which key is needed when the key changed', async () => {
    await store.set('rotated', 'demo', { token: 'rotated-secret' });
    const other = createCredentialStore({
      sql: db.sql,
      key: parseSecretKey(randomBytes(32).toString('base64')),
    });
    await expect(other.get('rotated')).rejects.toMatchObject({ code: 'E_CREDENTIAL_KEY' });
  });

  it('validates names and known types, without echoing the secret', async () => {
    await expect(store.set('bad name', 'demo', { token: 'abcdefgh' })).rejects.toMatchObject({
      code: 'E_CREDENTIAL',
    });
    const error = await store.set('short', 'demo', { token: 'tiny' }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'E_CREDENTIAL', hint: 'Ask the admin.' });
    expect((error as Error).message).toContain('token');
    expect((error as Error).message).not.toContain('tiny');
  });
});

describe('secret key', () => {
  it('generates <dataDir>/secret.key once with mode 0600 and reuses it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vmesh-key-'));
    try {
      const first = await loadSecretKey({ dataDir: dir, env: {} });
      const second = await loadSecretKey({ dataDir: dir, env: {} });
      expect(first.key.length).toBe(32);
      expect(second).toEqual(first);
      expect((await stat(join(dir, 'secret.key'))).mode & 0o777).toBe(0o600);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('prefers VMESH_SECRET_KEY and rejects a malformed one', async () => {
    const encoded = randomBytes(32).toString('base64');
    const fromEnv = await loadSecretKey({
      dataDir: '/nonexistent-unused',
      env: { VMESH_SECRET_KEY: encoded },
    });
    expect(fromEnv.key.toString('base64')).toBe(encoded);
    expect(() => parseSecretKey(randomBytes(16).toString('base64'))).toThrow(/32 bytes/);
    expect(() => parseSecretKey('not base64 !!')).toThrow(/openssl rand -base64 32|32 bytes/);
  });
});
