import {
  Client,
  Events,
  GatewayIntentBits,
  type InteractionReplyOptions,
  type Message,
  type MessageCreateOptions,
  Partials,
} from 'discord.js';
import { Routes } from 'discord-api-types/v10';
import type { Reply } from '../../agent/index.ts';
import { logger } from '../../lib/index.ts';
import { agentFailureReply } from '../agent-failure-reply.ts';
import type { BotActor, ConversationPort } from '../conversation-port.ts';
import { createPendingWork } from '../pending-work.ts';
import { parseDiscordCustomId } from './discord-custom-id.ts';
import { discordUserOf, renderDiscordConnectLink, renderDiscordReply } from './render-discord-reply.ts';

export type DiscordGateway = {
  stop(): Promise<void>;
  /** Posts replies nobody asked for (a self-healing fix proposal) into the channel of a `discord:…` thread key. */
  notify(threadKey: string, replies: Reply[]): Promise<boolean>;
};

export type DiscordGatewayOptions = {
  conversation: ConversationPort;
  botToken: string;
  /** REST base URL (tests point it at a local fake, which also names the gateway URL in GET /gateway/bot). */
  apiUrl?: string | undefined;
  /** This server's address, for links to its web pages in messages (a proposal's run page). */
  publicUrl?: string | undefined;
};

/**
 * The gateway client (DISCORD_BOT_TOKEN): mentions and DMs start or continue the conversation of their
 * channel; Approve/Reject buttons on its messages are decided here when no interactions endpoint is set.
 */
export async function startDiscordGateway(options: DiscordGatewayOptions): Promise<DiscordGateway> {
  const client = new Client({
    intents: [
      GatewayIntentBits.Guilds,
      GatewayIntentBits.GuildMessages,
      GatewayIntentBits.DirectMessages,
      GatewayIntentBits.MessageContent,
    ],
    partials: [Partials.Channel],
    ...(options.apiUrl ? { rest: { api: options.apiUrl } } : {}),
  });
  const work = createPendingWork((error) => logger.error({ err: error }, 'discord gateway: handling failed'));

  /** A connect link reaches its recipient in a direct message (Create DM, then a message there). */
  const sendPrivately = async (reply: Extract<Reply, { type: 'connect_link' }>): Promise<boolean> => {
    const user = discordUserOf(reply.recipient.identity);
    if (!user || !reply.url) return false;
    const dm = (await client.rest.post(Routes.userChannels(), { body: { recipient_id: user } })) as {
      id: string;
    };
    await client.rest.post(Routes.channelMessages(dm.id), { body: renderDiscordConnectLink(reply) });
    return true;
  };

  const send = async (message: Message, replies: Reply[]) => {
    for (const reply of replies) {
      if (reply.type === 'connect_link' && (await sendPrivately(reply))) continue;
      for (const piece of renderDiscordReply(reply, { publicUrl: options.publicUrl })) {
        await message.reply(piece as MessageCreateOptions);
      }
    }
  };

  client.on(Events.MessageCreate, (message) => {
    if (message.author.bot || !client.user) return;
    const direct = message.channel.isDMBased();
    if (!direct && !message.mentions.has(client.user)) return;
    const text = message.content.replace(/<@!?\d+>/g, '').trim();
    if (!text) return;
    const actor: BotActor = {
      platform: 'discord',
      id: `${message.guildId ?? 'dm'}:${message.author.id}`,
      displayName: message.author.username,
    };
    work.run(async () => {
      let replies: Reply[];
      try {
        replies = await options.conversation.handleMessage({
          threadKey: `discord:${message.guildId ?? 'dm'}:${message.channelId}`,
          actor,
          text,
        });
      } catch (error) {
        replies = [agentFailureReply(error)];
      }
      await send(message, replies);
    });
  });

  client.on(Events.InteractionCreate, (interaction) => {
    if (!interaction.isButton()) return;
    const value = parseDiscordCustomId(interaction.customId);
    if (!value) return;
    work.run(async () => {
      await interaction.deferUpdate();
      const actor = {
        platform: 'discord' as const,
        id: `${interaction.guildId ?? 'dm'}:${interaction.user.id}`,
        displayName: interaction.user.username,
      };
      const keep = value.decision === 'keep_both';
      const replies =
        value.decision === 'keep_both'
          ? ((await options.conversation.keepBoth?.(value.proposalId, actor)) ?? [])
          : await options.conversation.decide({ ...value, decision: value.decision, actor });
      // Keep both leaves the card's buttons: the card still waits for its own decision.
      if (!keep && !replies.some((reply) => reply.type === 'error')) {
        const verdict = value.decision === 'approve' ? '✅ Approved' : '✖️ Rejected';
        await interaction.editReply({ components: [], content: `${verdict} by <@${interaction.user.id}>` });
      }
      for (const reply of replies) {
        for (const piece of renderDiscordReply(reply, { publicUrl: options.publicUrl }))
          await interaction.followUp(piece as InteractionReplyOptions);
      }
    });
  });

  await client.login(options.botToken);
  return {
    async stop() {
      await work.idle();
      await client.destroy();
    },
    async notify(threadKey, replies) {
      const channel = /^discord:[^:]+:(\d+)$/.exec(threadKey)?.[1];
      if (!channel) return false;
      for (const reply of replies) {
        if (reply.type === 'connect_link' && (await sendPrivately(reply))) continue;
        for (const body of renderDiscordReply(reply, { publicUrl: options.publicUrl }))
          await client.rest.post(Routes.channelMessages(channel), { body });
      }
      return true;
    },
  };
}
