import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, linkIdentity, setDisabled } from '../access/index.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { autoMembersFromEnv, identifyActor, strangerReply } from './identify-actor.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

describe('chat actors to people', () => {
  it('resolves linked Slack and Discord members; unlinked, disabled and other platforms are strangers', async () => {
    const ann = await createUser(db.sql, { name: 'ann', role: 'builder' });
    await linkIdentity(db.sql, ann.id, 'slack', 'T1:U1');
    await linkIdentity(db.sql, ann.id, 'discord', 'G1:D1');
    expect(await identifyActor(db.sql, { platform: 'slack', id: 'T1:U1' })).toMatchObject({ userId: ann.id });
    expect(await identifyActor(db.sql, { platform: 'discord', id: 'G1:D1' })).toMatchObject({
      userId: ann.id,
    });
    // The same user in another team, guild, or a direct message is somebody else until linked.
    expect(await identifyActor(db.sql, { platform: 'slack', id: 'T2:U1' })).toBeUndefined();
    expect(await identifyActor(db.sql, { platform: 'discord', id: 'dm:D1' })).toBeUndefined();
    // Web and MCP actors count only with the principal their server authenticated.
    expect(await identifyActor(db.sql, { platform: 'web', id: 'slack:T1:U1' })).toBeUndefined();
    expect(await identifyActor(db.sql, { platform: 'mcp', id: 'local:owner' })).toBeUndefined();
    await setDisabled(db.sql, ann.id, true);
    expect(await identifyActor(db.sql, { platform: 'slack', id: 'T1:U1' })).toBeUndefined();
    expect(strangerReply({ platform: 'discord', id: 'G1:D9' }).hint).toContain('--discord G1:D9');
  });

  it('auto-makes members of the configured team only, with the configured role, never above builder', async () => {
    const auto = autoMembersFromEnv({ VMESH_SLACK_DEFAULT_ROLE: 'viewer', VMESH_SLACK_TEAM: 'T1' });
    const made = await identifyActor(db.sql, { platform: 'slack', id: 'T1:UNEW' }, auto);
    expect(made).toMatchObject({ role: 'viewer', identity: 'slack:T1:UNEW' });
    const again = await identifyActor(db.sql, { platform: 'slack', id: 'T1:UNEW' }, auto);
    expect(again?.userId).toBe(made?.userId);
    expect(await identifyActor(db.sql, { platform: 'slack', id: 'T9:UNEW' }, auto)).toBeUndefined();
    expect(await identifyActor(db.sql, { platform: 'discord', id: 'G1:UNEW' }, auto)).toBeUndefined();
    expect(() => autoMembersFromEnv({ VMESH_SLACK_DEFAULT_ROLE: 'admin', VMESH_SLACK_TEAM: 'T1' })).toThrow(
      /viewer, operator or builder/,
    );
    expect(() => autoMembersFromEnv({ VMESH_DISCORD_DEFAULT_ROLE: 'viewer' })).toThrow(/VMESH_DISCORD_GUILD/);
    expect(autoMembersFromEnv({})).toEqual({ slack: undefined, discord: undefined });
  });
});
