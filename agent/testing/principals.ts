import {
  createUser,
  findUser,
  linkIdentity,
  type Principal,
  type Role,
  resolveIdentity,
  toPrincipal,
} from '../../access/index.ts';
import type { Sql } from '../../db/index.ts';

/** A workspace user (made on first use) as the principal a front-end would resolve, for tests. */
export async function testPrincipal(sql: Sql, name: string, role: Role = 'owner'): Promise<Principal> {
  const user = (await findUser(sql, name)) ?? (await createUser(sql, { name, role }));
  return toPrincipal(user, 'web', `test:${name}`);
}

/** A Slack member linked to a new user (`TEAM:USER`), resolved the way the Slack bot resolves them. */
export async function slackMember(sql: Sql, name: string, role: Role, subject: string): Promise<Principal> {
  const user = (await findUser(sql, name)) ?? (await createUser(sql, { name, role }));
  await linkIdentity(sql, user.id, 'slack', subject);
  const principal = await resolveIdentity(sql, 'slack', subject, 'slack');
  if (!principal) throw new Error(`could not resolve slack:${subject}`);
  return principal;
}
