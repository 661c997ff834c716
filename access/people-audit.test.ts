import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { listAudit, verifyAuditChain } from './audit.ts';
import type { Principal } from './principal.ts';
import { createToken, revokeToken } from './token-store.ts';
import { addUser, linkUserIdentity, unlinkUserIdentity, updateUser } from './user-admin.ts';
import { ensureLocalOwner } from './user-store.ts';

let db: TestDatabase;
let owner: Principal;
beforeAll(async () => {
  db = await createTestDatabase();
  owner = await ensureLocalOwner(db.sql, 'cli');
});
afterAll(async () => {
  await db.drop();
});

describe('changes to people and tokens are audit entries', () => {
  it('names who made each change, never a token secret, and keeps the chain intact', async () => {
    const bea = await addUser(db.sql, owner, { name: 'bea', role: 'builder' });
    await updateUser(db.sql, owner, 'bea', { role: 'operator' });
    await updateUser(db.sql, owner, 'bea', { disabled: true });
    await updateUser(db.sql, owner, 'bea', { disabled: false });
    await linkUserIdentity(db.sql, owner, 'bea', 'slack', 'T1:U9');
    await unlinkUserIdentity(db.sql, owner, 'slack', 'T1:U9');
    const { token, info } = await createToken(db.sql, owner, {
      userId: bea.id,
      name: 'ci',
      scopes: ['run.read'],
    });
    await revokeToken(db.sql, owner, info.id);

    const { entries } = await listAudit(db.sql, { limit: 100 });
    const actions = entries.map((entry) => entry.action).reverse();
    expect(actions).toEqual([
      'user.created',
      'user.role_changed',
      'user.disabled',
      'user.enabled',
      'identity.linked',
      'identity.unlinked',
      'token.created',
      'token.revoked',
    ]);
    for (const entry of entries) expect(entry).toMatchObject({ actor: owner.name, actorId: owner.userId });
    expect(entries.find((entry) => entry.action === 'user.role_changed')?.details).toMatchObject({
      from: 'builder',
      to: 'operator',
    });
    const secret = token.slice(token.lastIndexOf('_') + 1);
    expect(JSON.stringify(entries)).not.toContain(secret);
    expect((await verifyAuditChain(db.sql)).ok).toBe(true);
  });
});
