import { Routes } from 'discord-api-types/v10';
import { z } from 'zod';
import { ConnectorError } from '../../sdk/connector-error.ts';
import { describeNamed } from '../../sdk/describe-target.ts';
import {
  attachmentsBody,
  checkedAttachments,
  DiscordFiles,
  passThrough,
  SentAttachments,
} from '../attachments.ts';
import { allowedMentions, callDiscord, contentParts, discordNonce, MessageResult } from '../client.ts';
import { action } from '../kit.ts';

export const SendMessageInput = z
  .strictObject({
    channelId: z
      .string()
      .regex(/^\d{17,20}$/, 'a Discord channel ID (17-20 digits)')
      .describe('ID of the text channel (Developer Mode → right-click the channel → Copy Channel ID).'),
    content: z
      .string()
      .min(1)
      .optional()
      .describe('Message text (Discord Markdown). At most 2000 characters unless split is true.'),
    embeds: z
      .array(z.record(z.string(), z.unknown()))
      .max(10)
      .optional()
      .describe('Up to 10 Discord embed objects ({ title, description, url, color, fields }).'),
    split: z
      .boolean()
      .default(false)
      .describe(
        'Send content longer than 2000 characters as several messages (split at line breaks). Default false: too long is an error.',
      ),
    files: DiscordFiles.optional(),
    mentions: z
      .enum(['none', 'users', 'all'])
      .default('users')
      .describe(
        'Which mentions may ping: none, users (users and roles, default) or all (also @everyone/@here).',
      ),
  })
  .refine((value) => value.content !== undefined || value.embeds !== undefined || value.files !== undefined, {
    message: 'give content, embeds or files',
    path: ['content'],
  });

export const SendMessageOutput = z.object({
  id: z.string().describe('ID of the (first) message.'),
  channelId: z.string().describe('Channel ID.'),
  messageIds: z.array(z.string()).describe('IDs of every message sent (more than one when split).'),
  attachments: SentAttachments,
});

export const sendMessage = action({
  key: 'sendMessage',
  title: 'Send a Discord message (bot)',
  description:
    'Send a message, with optional embeds and file attachments, to a Discord channel as the bot. Retries do not send twice (Discord nonces).',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) => describeNamed('the Discord channel', withValue.channelId),
  input: SendMessageInput,
  output: SendMessageOutput,
  async run(input, ctx) {
    const bot = ctx.client.bot;
    if (!bot) {
      throw new ConnectorError({
        code: 'E_CREDENTIAL',
        message: 'discord.sendMessage needs a discord credential with a botToken.',
        retryable: false,
        hint: 'Store one with `vmesh credentials set NAME --type discord` ({"botToken":"…"}), or use discord.sendWebhookMessage.',
      });
    }
    const parts = contentParts(input.content, input.split, 'discord.sendMessage');
    // Checked before the first message goes out: a file of another run or over the limit fails here.
    const files = input.files ? await checkedAttachments(ctx.files, input.files, 'discord.sendMessage') : [];
    const messageIds: string[] = [];
    let attachments: z.infer<typeof SentAttachments> = [];
    for (const [index, content] of parts.entries()) {
      const last = index === parts.length - 1;
      const body = {
        ...(content === undefined ? {} : { content }),
        ...(last && input.embeds ? { embeds: input.embeds } : {}),
        allowed_mentions: allowedMentions(input.mentions),
        nonce: discordNonce(ctx.idempotencyKey, index),
        enforce_nonce: true,
      };
      // Files go with the last part, like embeds, as multipart/form-data (payload_json and files[n]).
      const request =
        last && files.length > 0 ? passThrough(await attachmentsBody(ctx.files, body, files)) : { body };
      const sent = await callDiscord('POST /channels/{id}/messages', () =>
        bot.post(Routes.channelMessages(input.channelId), { ...request, signal: ctx.signal }),
      );
      const message = MessageResult.parse(sent);
      messageIds.push(message.id);
      if (last) attachments = message.attachments ?? [];
    }
    return { id: messageIds[0] ?? '', channelId: input.channelId, messageIds, attachments };
  },
});
