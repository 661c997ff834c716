import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { allows } from './principal.ts';
import { atLeast, permissionsOf, ROLES, roleAllows } from './roles.ts';
import {
  createUser,
  ensureLocalOwner,
  findUser,
  linkIdentity,
  resolveIdentity,
  setDisabled,
  setRole,
} from './user-store.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

describe('roles', () => {
  it('each role holds every permission of the roles below it', () => {
    for (let i = 0; i < ROLES.length - 1; i++) {
      const higher = permissionsOf(ROLES[i]!);
      for (const permission of permissionsOf(ROLES[i + 1]!)) expect(higher.has(permission)).toBe(true);
      expect(higher.size).toBeGreaterThan(permissionsOf(ROLES[i + 1]!).size);
    }
    expect(roleAllows('viewer', 'workflow.read')).toBe(true);
    expect(roleAllows('viewer', 'run.start')).toBe(false);
    expect(roleAllows('operator', 'workflow.propose')).toBe(false);
    expect(roleAllows('builder', 'user.manage')).toBe(false);
    expect(roleAllows('admin', 'owner.manage')).toBe(false);
    expect(atLeast('admin', 'builder')).toBe(true);
    expect(atLeast('operator', 'builder')).toBe(false);
  });
});

describe('users and identities', () => {
  it('resolves a linked identity to its user, strangers and disabled users to nobody', async () => {
    const alice = await createUser(db.sql, { name: 'alice', role: 'builder' });
    await linkIdentity(db.sql, alice.id, 'slack', 'T1:U1');
    const principal = await resolveIdentity(db.sql, 'slack', 'T1:U1', 'slack');
    expect(principal).toMatchObject({
      userId: alice.id,
      name: 'alice',
      role: 'builder',
      identity: 'slack:T1:U1',
    });
    expect(await resolveIdentity(db.sql, 'slack', 'T1:U2', 'slack')).toBeUndefined();
    expect(await resolveIdentity(db.sql, 'slack', 'T2:U1', 'slack')).toBeUndefined();
    await setDisabled(db.sql, alice.id, true);
    expect(await resolveIdentity(db.sql, 'slack', 'T1:U1', 'slack')).toBeUndefined();
    await setDisabled(db.sql, alice.id, false);
    await setRole(db.sql, alice.id, 'viewer');
    expect((await resolveIdentity(db.sql, 'slack', 'T1:U1', 'slack'))?.role).toBe('viewer');
  });

  it('refuses a second user of the same name and an identity already linked to someone else', async () => {
    await expect(createUser(db.sql, { name: 'alice', role: 'viewer' })).rejects.toMatchObject({
      code: 'E_USER_EXISTS',
    });
    await expect(createUser(db.sql, { name: 'bad name', role: 'viewer' })).rejects.toMatchObject({
      code: 'E_USER',
    });
    const bob = await createUser(db.sql, { name: 'bob', role: 'viewer' });
    await expect(linkIdentity(db.sql, bob.id, 'slack', 'T1:U1')).rejects.toMatchObject({
      code: 'E_IDENTITY_TAKEN',
    });
    expect((await findUser(db.sql, 'bob'))?.id).toBe(bob.id);
  });

  it('makes one local owner, also when asked many times at once', async () => {
    const owners = await Promise.all(Array.from({ length: 8 }, () => ensureLocalOwner(db.sql, 'cli')));
    expect(new Set(owners.map((owner) => owner.userId)).size).toBe(1);
    expect(owners[0]).toMatchObject({ role: 'owner', name: 'owner', identity: 'local:owner' });
  });

  it('narrows a role by a token scope', () => {
    const base = {
      userId: 'u',
      workspaceId: 'default',
      name: 'x',
      role: 'admin' as const,
      via: 'api' as const,
    };
    expect(allows({ ...base, identity: 'token:a' }, 'user.manage')).toBe(true);
    expect(allows({ ...base, identity: 'token:a', scopes: ['run.read'] }, 'user.manage')).toBe(false);
    expect(allows({ ...base, identity: 'token:a', scopes: ['run.read'] }, 'run.read')).toBe(true);
    expect(allows({ ...base, role: 'viewer', identity: 'token:a', scopes: ['run.start'] }, 'run.start')).toBe(
      false,
    );
  });
});
