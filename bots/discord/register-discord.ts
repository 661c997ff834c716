import { REST, Routes } from 'discord.js';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Reply } from '../../agent/index.ts';
import { logger } from '../../lib/index.ts';
import { agentFailureReply } from '../agent-failure-reply.ts';
import type { BotActor, ConversationPort } from '../conversation-port.ts';
import { createMemoryDeliveryLedger, type DeliveryLedger } from '../delivery-dedupe.ts';
import { createPendingWork } from '../pending-work.ts';
import { parseDiscordCustomId } from './discord-custom-id.ts';
import { EPHEMERAL, renderDiscordConnectLink, renderDiscordReply } from './render-discord-reply.ts';
import { discordPublicKey, verifyDiscordSignature } from './verify-discord-signature.ts';

export type DiscordInteractionsOptions = {
  conversation: ConversationPort;
  /** DISCORD_APPLICATION_ID. */
  applicationId: string;
  /** DISCORD_PUBLIC_KEY (hex): every interaction's Ed25519 signature is checked against it. */
  publicKey: string;
  /** REST base URL (tests point it at a local fake); default https://discord.com/api. */
  apiUrl?: string | undefined;
  /** Where interaction ids are remembered (the app: Postgres); default in this process only. */
  deliveries?: DeliveryLedger | undefined;
  /** This server's address, for links to its web pages in messages (a proposal's run page). */
  publicUrl?: string | undefined;
};

const User = z.object({ id: z.string(), username: z.string().optional() });
const Interaction = z.looseObject({
  id: z.string(),
  type: z.number().int(),
  token: z.string().optional(),
  guild_id: z.string().optional(),
  channel_id: z.string().optional(),
  member: z.looseObject({ user: User }).optional(),
  user: User.optional(),
  data: z
    .looseObject({
      name: z.string().optional(),
      custom_id: z.string().optional(),
      options: z.array(z.looseObject({ name: z.string(), value: z.unknown() })).optional(),
    })
    .optional(),
});
type Interaction = z.infer<typeof Interaction>;

const PING = 1;
const APPLICATION_COMMAND = 2;
const MESSAGE_COMPONENT = 3;

/**
 * The Discord HTTP interactions endpoint, POST /discord/interactions: signature checked over the raw body
 * (invalid → 401), PING → PONG, the /vmesh command and Approve/Reject buttons answered with a deferred
 * response within Discord's 3 s, then the turn's replies sent as follow-ups through the webhook endpoints.
 */
export async function registerDiscord(server: FastifyInstance, options: DiscordInteractionsOptions) {
  const key = discordPublicKey(options.publicKey);
  const rest = new REST({ version: '10', ...(options.apiUrl ? { api: options.apiUrl } : {}) });
  const deliveries = options.deliveries ?? createMemoryDeliveryLedger();
  const work = createPendingWork((error) =>
    logger.error({ err: error }, 'discord: handling an interaction failed'),
  );

  const followUps = async (token: string, replies: Reply[]) => {
    for (const reply of replies) {
      for (const message of renderDiscordReply(reply, { publicUrl: options.publicUrl })) {
        await rest.post(Routes.webhook(options.applicationId, token), { body: message, auth: false });
      }
    }
  };

  const actorOf = (interaction: Interaction): BotActor | undefined => {
    const user = interaction.member?.user ?? interaction.user;
    // GUILD:USER; a direct message has no guild: `dm:USER` (linked explicitly, never auto-made a member).
    return user
      ? { platform: 'discord', id: `${interaction.guild_id ?? 'dm'}:${user.id}`, displayName: user.username }
      : undefined;
  };

  const handleCommand = (interaction: Interaction, token: string, actor: BotActor) => {
    const text = String(
      interaction.data?.options?.find((option) => option.name === 'message')?.value ?? '',
    ).trim();
    const threadKey = `discord:${interaction.guild_id ?? 'dm'}:${interaction.channel_id ?? actor.id.split(':')[1]}`;
    work.run(async () => {
      let replies: Reply[];
      try {
        replies = await options.conversation.handleMessage({ threadKey, actor, text });
      } catch (error) {
        replies = [agentFailureReply(error)];
      }
      // Connect links go to the person who used the command only (ephemeral follow-ups).
      const links = replies.flatMap((reply) => (reply.type === 'connect_link' && reply.url ? [reply] : []));
      const [first, ...rest_] = replies
        .filter((reply) => !links.includes(reply as (typeof links)[number]))
        .flatMap((reply) => renderDiscordReply(reply, { publicUrl: options.publicUrl }));
      await rest.patch(Routes.webhookMessage(options.applicationId, token, '@original'), {
        body: first ?? { content: 'Done.' },
        auth: false,
      });
      for (const message of rest_) {
        await rest.post(Routes.webhook(options.applicationId, token), { body: message, auth: false });
      }
      for (const link of links) {
        await rest.post(Routes.webhook(options.applicationId, token), {
          body: { ...renderDiscordConnectLink(link), flags: EPHEMERAL },
          auth: false,
        });
      }
    });
  };

  const handleButton = (interaction: Interaction, token: string, actor: BotActor) => {
    const value = parseDiscordCustomId(interaction.data?.custom_id);
    if (!value) return false;
    work.run(async () => {
      if (value.decision === 'keep_both') {
        await followUps(token, (await options.conversation.keepBoth?.(value.proposalId, actor)) ?? []);
        return;
      }
      const replies = await options.conversation.decide({ ...value, decision: value.decision, actor });
      if (!replies.some((reply) => reply.type === 'error')) {
        const verdict = value.decision === 'approve' ? '✅ Approved' : '✖️ Rejected';
        await rest.patch(Routes.webhookMessage(options.applicationId, token, '@original'), {
          body: { components: [], content: `${verdict} by <@${actor.id.split(':')[1] ?? ''}>` },
          auth: false,
        });
      }
      await followUps(token, replies);
    });
    return true;
  };

  await server.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 256 * 1024 }, (_request, body, done) =>
      done(null, body),
    );
    scope.post('/discord/interactions', async (request, reply) => {
      const body = request.body instanceof Buffer ? request.body : Buffer.alloc(0);
      const signature = request.headers['x-signature-ed25519'];
      const timestamp = request.headers['x-signature-timestamp'];
      if (
        !verifyDiscordSignature(
          key,
          typeof signature === 'string' ? signature : undefined,
          typeof timestamp === 'string' ? timestamp : undefined,
          body,
        )
      ) {
        return reply.code(401).send({ error: 'invalid request signature' });
      }
      let interaction: Interaction;
      try {
        interaction = Interaction.parse(JSON.parse(body.toString('utf8')));
      } catch {
        return reply.code(400).send({ error: 'not an interaction' });
      }
      if (interaction.type === PING) return { type: 1 };
      const actor = actorOf(interaction);
      if (!actor || !interaction.token)
        return reply.code(400).send({ error: 'interaction without user or token' });
      // A redelivered interaction is acknowledged again but never starts a second turn.
      const first = await deliveries.firstDelivery(`discord:${interaction.id}`);
      if (interaction.type === APPLICATION_COMMAND && interaction.data?.name === 'vmesh') {
        if (first) handleCommand(interaction, interaction.token, actor);
        return { type: 5 };
      }
      if (interaction.type === MESSAGE_COMPONENT) {
        if (!first) return { type: 6 };
        return handleButton(interaction, interaction.token, actor)
          ? { type: 6 }
          : { type: 4, data: { content: 'This button is not one of ours.', flags: EPHEMERAL } };
      }
      return { type: 4, data: { content: 'Unknown command: use /vmesh.', flags: EPHEMERAL } };
    });
  });
  server.addHook('onClose', () => work.idle());
  return { idle: () => work.idle() };
}
