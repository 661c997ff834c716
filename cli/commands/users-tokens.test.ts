import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSION_MEANING, resolveToken } from '../../access/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { type CliOptions, cliEnv, runCli } from '../testing/cli-process.ts';

// `vmesh users` and `vmesh tokens` as real processes against a real database.

let db: TestDatabase;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  db = await createTestDatabase();
  env = cliEnv({ DATABASE_URL: db.url });
});
afterAll(async () => {
  await db.drop();
});

const vmesh = (args: string[], options: CliOptions = {}) => runCli(args, { env, ...options });

describe('vmesh users', () => {
  it('adds, lists, links, changes and disables people; refuses what the rules forbid', async () => {
    const [roles, added, viewer] = await Promise.all([
      vmesh(['users', 'roles']),
      vmesh(['users', 'add', 'alice', '--role', 'builder', '--slack', 'T1:U1', '--email', 'a@example.com']),
      vmesh(['users', 'add', 'vera', '--role', 'viewer']),
    ]);
    expect(roles.code).toBe(0);
    expect(roles.stdout).toContain('owner:');
    expect(roles.stdout).toContain(PERMISSION_MEANING['owner.manage']);
    expect(added, added.stderr).toMatchObject({ code: 0 });
    expect(viewer.code).toBe(0);
    const [again, badRole, taken] = await Promise.all([
      vmesh(['users', 'add', 'alice', '--role', 'viewer']),
      vmesh(['users', 'add', 'bob', '--role', 'king']),
      vmesh(['users', 'add', 'carl', '--role', 'viewer', '--slack', 'T1:U1']),
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already a user named "alice"');
    expect(badRole.code).toBe(1);
    expect(badRole.stderr).toContain('not a role');
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('already belongs to another user');

    const changes = await Promise.all([
      vmesh(['users', 'link', 'alice', 'discord', 'G1:U2']),
      vmesh(['users', 'unlink', 'slack', 'T1:U1']),
      vmesh(['users', 'role', 'alice', 'admin']),
      vmesh(['users', 'disable', 'vera']),
    ]);
    expect(changes.map((change) => change.code)).toEqual([0, 0, 0, 0]);

    const [listed, unlinkedTwice] = await Promise.all([
      vmesh(['users', 'list', '--json']),
      vmesh(['users', 'unlink', 'slack', 'T1:U1']),
    ]);
    expect(unlinkedTwice.code).toBe(1);
    expect(listed.code).toBe(0);
    const users = JSON.parse(listed.stdout) as {
      name: string;
      role: string;
      disabled: boolean;
      identities: unknown;
    }[];
    expect(users.find((user) => user.name === 'alice')).toMatchObject({
      role: 'admin',
      disabled: false,
      identities: [{ provider: 'discord', subject: 'G1:U2' }],
    });
    expect(users.find((user) => user.name === 'vera')?.disabled).toBe(true);
    const owner = users.find((user) => user.role === 'owner');
    expect(owner).toBeDefined();

    const [lastOwner, unlinkShell, enabled] = await Promise.all([
      vmesh(['users', 'role', String(owner?.name), 'admin']),
      vmesh(['users', 'unlink', 'local', 'owner']),
      vmesh(['users', 'enable', 'vera']),
    ]);
    expect(lastOwner.code).toBe(1);
    expect(lastOwner.stderr).toContain('last owner');
    expect(unlinkShell.code).toBe(1);
    expect(enabled.code).toBe(0);
    expect((await vmesh(['users', 'list'])).stdout).toMatch(/vera\s+viewer\s+active/);
  });
});

describe('vmesh tokens', () => {
  it('mints a token shown once, lists it without its secret, and revokes it', async () => {
    expect((await vmesh(['users', 'add', 'otto', '--role', 'operator'])).code).toBe(0);
    const created = await vmesh([
      'tokens',
      'create',
      '--user',
      'otto',
      '--name',
      'ci',
      '--scope',
      'run.read,workflow.read',
      '--expires-in',
      '30d',
    ]);
    expect(created, created.stderr).toMatchObject({ code: 0 });
    const token = created.stdout.trim();
    expect(token).toMatch(/^vmt_tok_[A-Za-z0-9-]{12}_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toContain('shown once');
    expect(await resolveToken(db.sql, token, 'api')).toMatchObject({
      name: 'otto',
      role: 'operator',
      scopes: ['run.read', 'workflow.read'],
      tokenMayApprove: false,
    });

    const [overRole, badScope, badExpiry, approving] = await Promise.all([
      vmesh(['tokens', 'create', '--user', 'otto', '--name', 'x', '--scope', 'user.manage']),
      vmesh(['tokens', 'create', '--user', 'otto', '--name', 'x', '--scope', 'everything']),
      vmesh(['tokens', 'create', '--user', 'otto', '--name', 'x', '--expires-in', 'soon']),
      vmesh(['tokens', 'create', '--user', 'otto', '--name', 'agent', '--may-approve']),
    ]);
    expect(overRole.code).toBe(1);
    expect(overRole.stderr).toContain('the role lacks it');
    expect(badScope.code).toBe(1);
    expect(badExpiry.code).toBe(1);
    expect(approving.code).toBe(0);
    expect(await resolveToken(db.sql, approving.stdout.trim(), 'mcp')).toMatchObject({
      tokenMayApprove: true,
    });

    const listed = await vmesh(['tokens', 'list', '--user', 'otto', '--json']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toContain(token.slice(-43));
    const rows = JSON.parse(listed.stdout) as {
      id: string;
      name: string;
      user: string;
      revokedAt: unknown;
    }[];
    expect(rows.map((row) => row.name)).toEqual(['ci', 'agent']);
    const id = rows[0]!.id;
    expect(token.startsWith(`vmt_${id}_`)).toBe(true);

    const [revoked, unknown] = await Promise.all([
      vmesh(['tokens', 'revoke', id]),
      vmesh(['tokens', 'revoke', 'tok_nope']),
    ]);
    expect(revoked.code).toBe(0);
    expect(await resolveToken(db.sql, token, 'api')).toBe('invalid');
    expect((await vmesh(['tokens', 'list'])).stdout).toMatch(new RegExp(`${id}\\s+otto\\s+ci\\s+revoked`));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No token');
  });
});
