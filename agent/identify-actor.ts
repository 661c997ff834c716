import { z } from 'zod';
import {
  createUser,
  linkIdentity,
  type Principal,
  type Role,
  resolveIdentity,
  toPrincipal,
} from '../access/index.ts';
import type { Sql } from '../db/index.ts';
import { logger } from '../lib/index.ts';

/**
 * A chat front-end's person: Slack `TEAM:USER`, Discord `GUILD:USER` (a direct message: `dm:USER`), or a
 * principal the front-end already resolved (MCP and web chat: request.principal; the CLI and stdio MCP: the
 * local owner). Set by front-end code from verified platform data, never from a message body.
 */
export type ChatActor = {
  platform: string;
  id: string;
  displayName?: string | undefined;
  principal?: Principal | undefined;
};

const ChatRole = z.enum(['viewer', 'operator', 'builder']);

/**
 * Optional automatic membership: VMESH_SLACK_DEFAULT_ROLE with VMESH_SLACK_TEAM (a team id) makes every
 * member of that team a user with that role on their first message; VMESH_DISCORD_DEFAULT_ROLE with
 * VMESH_DISCORD_GUILD the same for a guild (never for direct messages). Off by default; at most builder.
 */
export function autoMembersFromEnv(env: NodeJS.ProcessEnv): AutoMembers {
  const parse = (role: string | undefined, place: string | undefined, name: string) => {
    if (!role) return undefined;
    const parsed = ChatRole.safeParse(role);
    if (!parsed.success)
      throw new Error(`${name}_DEFAULT_ROLE is viewer, operator or builder (got "${role}").`);
    if (!place)
      throw new Error(
        `${name}_DEFAULT_ROLE needs ${name === 'VMESH_SLACK' ? 'VMESH_SLACK_TEAM' : 'VMESH_DISCORD_GUILD'}: whose members get it.`,
      );
    return { role: parsed.data, place };
  };
  return {
    slack: parse(env.VMESH_SLACK_DEFAULT_ROLE, env.VMESH_SLACK_TEAM, 'VMESH_SLACK'),
    discord: parse(env.VMESH_DISCORD_DEFAULT_ROLE, env.VMESH_DISCORD_GUILD, 'VMESH_DISCORD'),
  };
}
export type AutoMembers = {
  slack?: { role: Role; place: string } | undefined;
  discord?: { role: Role; place: string } | undefined;
};

const PROVIDERS: Readonly<Record<string, 'slack' | 'discord'>> = { slack: 'slack', discord: 'discord' };

/** The person behind a chat actor, or undefined for a stranger (unmapped, disabled, or an unknown platform). */
export async function identifyActor(
  sql: Sql,
  actor: ChatActor,
  auto: AutoMembers = {},
): Promise<Principal | undefined> {
  if (actor.principal) return actor.principal;
  const provider = PROVIDERS[actor.platform];
  if (!provider) return undefined;
  const subject = actor.id.startsWith(`${provider}:`) ? actor.id.slice(provider.length + 1) : actor.id;
  const found = await resolveIdentity(sql, provider, subject, provider);
  if (found) return found;
  const rule = auto[provider];
  const [place, user] = subject.split(':');
  if (!rule || place !== rule.place || !user) return undefined;
  try {
    const made = await createUser(sql, {
      name: `${provider}-${place}-${user}`.slice(0, 64),
      role: rule.role,
    });
    await linkIdentity(sql, made.id, provider, subject);
    logger.info({ provider, subject, role: rule.role }, 'made a user for a new chat member');
    return toPrincipal(made, provider, `${provider}:${subject}`);
  } catch {
    // Two first messages at once: the other one made the user.
    return resolveIdentity(sql, provider, subject, provider);
  }
}

/** What a stranger is told (once per message; the model never sees it). */
export function strangerReply(actor: ChatActor): {
  type: 'error';
  code: string;
  message: string;
  hint: string;
} {
  const provider = PROVIDERS[actor.platform];
  const subject =
    provider && actor.id.startsWith(`${provider}:`) ? actor.id.slice(provider.length + 1) : actor.id;
  return {
    type: 'error',
    code: 'E_NO_ACCESS',
    message: 'You are not a member of this VelocityMesh workspace, so I cannot act on your messages.',
    hint: provider
      ? `Ask an admin to run \`vmesh users add YOUR_NAME --role builder --${provider} ${subject}\` (or --role viewer to only ask questions).`
      : 'Sign in, or use an API token (`vmesh tokens create`), then try again.',
  };
}
