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
import {
  allowedMentions,
  callDiscord,
  contentParts,
  DiscordWebhookUrl,
  MessageResult,
  parseWebhookUrl,
} from '../client.ts';
import { action } from '../kit.ts';

export const SendWebhookMessageInput = z
  .strictObject({
    webhookUrl: DiscordWebhookUrl.optional().describe(
      'Webhook URL. Better kept in the discord credential (webhookUrl): the URL contains a secret token.',
    ),
    content: z
      .string()
      .min(1)
      .optional()
      .describe('Message text (Discord Markdown). At most 2000 characters unless split is true.'),
    embeds: z
      .array(z.record(z.string(), z.unknown()))
      .max(10)
      .optional()
      .describe('Up to 10 Discord embed objects.'),
    username: z.string().min(1).max(80).optional().describe("Override the webhook's display name."),
    avatarUrl: z.url().optional().describe("Override the webhook's avatar image URL."),
    threadId: z
      .string()
      .regex(/^\d{17,20}$/)
      .optional()
      .describe("Post into this thread of the webhook's channel."),
    split: z
      .boolean()
      .default(false)
      .describe('Send content longer than 2000 characters as several messages. Default false.'),
    files: DiscordFiles.optional(),
    mentions: z
      .enum(['none', 'users', 'all'])
      .default('users')
      .describe('Which mentions may ping: none, users (default) or all.'),
  })
  .refine((value) => value.content !== undefined || value.embeds !== undefined || value.files !== undefined, {
    message: 'give content, embeds or files',
    path: ['content'],
  });

export const SendWebhookMessageOutput = z.object({
  id: z.string().describe('ID of the (first) message.'),
  channelId: z.string().describe('Channel ID the webhook posts to.'),
  messageIds: z.array(z.string()).describe('IDs of every message sent.'),
  attachments: SentAttachments,
});

export const sendWebhookMessage = action({
  key: 'sendWebhookMessage',
  title: 'Send a Discord message (webhook)',
  description:
    'Post to a Discord channel through a channel webhook, with optional embeds and file attachments; no bot needed. A retry after a lost answer may post twice.',
  effect: 'write',
  idempotent: false,
  describeTarget: (withValue) => describeNamed('the Discord webhook', withValue.webhookUrl),
  input: SendWebhookMessageInput,
  output: SendWebhookMessageOutput,
  async run(input, ctx) {
    const url = input.webhookUrl ?? ctx.credential?.webhookUrl;
    const webhook = url ? parseWebhookUrl(url) : undefined;
    if (!webhook) {
      throw new ConnectorError({
        code: 'E_CREDENTIAL',
        message:
          'discord.sendWebhookMessage needs a webhook URL, in the discord credential (webhookUrl) or in `webhookUrl`.',
        retryable: false,
        hint: 'Create a webhook (Channel settings → Integrations → Webhooks → Copy URL) and store it: `vmesh credentials set NAME --type discord`.',
      });
    }
    const parts = contentParts(input.content, input.split, 'discord.sendWebhookMessage');
    const query = new URLSearchParams({
      wait: 'true',
      ...(input.threadId ? { thread_id: input.threadId } : {}),
    });
    const files = input.files
      ? await checkedAttachments(ctx.files, input.files, 'discord.sendWebhookMessage')
      : [];
    const messages: z.infer<typeof MessageResult>[] = [];
    for (const [index, content] of parts.entries()) {
      const last = index === parts.length - 1;
      const body = {
        ...(content === undefined ? {} : { content }),
        ...(last && input.embeds ? { embeds: input.embeds } : {}),
        ...(input.username ? { username: input.username } : {}),
        ...(input.avatarUrl ? { avatar_url: input.avatarUrl } : {}),
        allowed_mentions: allowedMentions(input.mentions),
      };
      const request =
        last && files.length > 0 ? passThrough(await attachmentsBody(ctx.files, body, files)) : { body };
      const sent = await callDiscord('POST /webhooks/{id}/{token}', () =>
        ctx.client.webhooks.post(Routes.webhook(webhook.id, webhook.token), {
          ...request,
          query,
          auth: false,
          signal: ctx.signal,
        }),
      );
      messages.push(MessageResult.parse(sent));
    }
    return {
      id: messages[0]?.id ?? '',
      channelId: messages[0]?.channel_id ?? '',
      messageIds: messages.map((message) => message.id),
      attachments: (messages.at(-1)?.attachments ?? []).map(({ id, filename, size, url }) => ({
        id,
        filename,
        size,
        url,
      })),
    };
  },
});
