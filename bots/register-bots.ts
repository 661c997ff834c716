import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { McpToolEntry, Reply } from '../agent/index.ts';
import { logger } from '../lib/index.ts';
import type { ConversationPort } from './conversation-port.ts';
import type { DeliveryLedger } from './delivery-dedupe.ts';
import { registerMcpHttp } from './mcp/register-mcp-http.ts';
import type { TriggerEventPort } from './trigger-event-port.ts';
import { type ApprovalLinkPort, registerApprovalLinks } from './web/register-approval-links.ts';
import { type InsightsReport, registerInsightsPage } from './web/register-insights-page.ts';
import { registerWebChat } from './web/register-web-chat.ts';
import type { WorkflowPort } from './workflow-port.ts';

const BotsEnv = z.object({
  SLACK_BOT_TOKEN: z
    .string()
    .startsWith('xoxb-', 'SLACK_BOT_TOKEN is the Bot User OAuth Token (xoxb-…)')
    .optional(),
  SLACK_SIGNING_SECRET: z.string().min(8).optional(),
  SLACK_APP_TOKEN: z
    .string()
    .startsWith('xapp-', 'SLACK_APP_TOKEN is an app-level token (xapp-…) for Socket Mode')
    .optional(),
  SLACK_API_URL: z.url().optional(),
  DISCORD_APPLICATION_ID: z
    .string()
    .regex(/^\d{5,25}$/, 'DISCORD_APPLICATION_ID is the numeric Application ID')
    .optional(),
  DISCORD_PUBLIC_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'DISCORD_PUBLIC_KEY is 64 hex characters')
    .optional(),
  DISCORD_API_URL: z.url().optional(),
  DISCORD_BOT_TOKEN: z.string().min(20).optional(),
  VMESH_MCP_ALLOWED_HOSTS: z.string().optional(),
  VMESH_MCP_ALLOWED_ORIGINS: z.string().optional(),
});

export type BotsDeps = {
  conversation: ConversationPort;
  /** Serves the one-time approval links an MCP approve hands out (`/approve/<token>`). */
  approvals?: ApprovalLinkPort | undefined;
  workflows?: WorkflowPort | undefined;
  /** The web page's Insights section (GET /chat/api/insights). */
  insights?: InsightsReport | undefined;
  agentTools?: readonly McpToolEntry[] | undefined;
  /** Where front-ends hand vendor events for event triggers (Slack messages → slack.messagePosted). */
  triggers?: TriggerEventPort | undefined;
  config: { host: string; apiToken: string | undefined; publicUrl: string };
  /** Where Slack and Discord delivery ids are remembered (createDeliveryLedger); default in this process only. */
  deliveries?: DeliveryLedger | undefined;
  env?: NodeJS.ProcessEnv;
};

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/**
 * Every front-end on the app server (call before listen): web chat at `/`, MCP at `/mcp`, and Slack
 * (`/slack/events` or Socket Mode) and Discord (`/discord/interactions`) when their settings are present.
 */
export type RegisteredBots = {
  enabled: string[];
  /**
   * Delivers replies nobody asked for (self-healing fix proposals, run updates) to the chat a conversation lives
   * in, when that front-end can post on its own (Slack). Returns false when no front-end took it: the replies
   * stay in the conversation, where the web chat and `vmesh proposals` show them.
   */
  notify(threadKey: string, replies: Reply[]): Promise<boolean>;
};

export async function registerBots(server: FastifyInstance, deps: BotsDeps): Promise<RegisteredBots> {
  const parsed = BotsEnv.safeParse(deps.env ?? process.env);
  if (!parsed.success) {
    throw new Error(
      `Invalid bot configuration: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    );
  }
  const env = parsed.data;
  const enabled = ['web', 'mcp'];
  const notifiers: RegisteredBots['notify'][] = [];
  await registerWebChat(server, {
    conversation: deps.conversation,
    workflows: deps.workflows,
  });

  if (deps.approvals) await registerApprovalLinks(server, deps.approvals);
  if (deps.insights) registerInsightsPage(server, deps.insights);

  const listening = () => {
    const address = server.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  };
  const publicUrl = new URL(deps.config.publicUrl);
  await registerMcpHttp(server, {
    conversation: deps.conversation,
    workflows: deps.workflows,
    agentTools: deps.agentTools,
    allowedHosts: () => [
      publicUrl.host,
      `127.0.0.1:${listening()}`,
      `localhost:${listening()}`,
      `[::1]:${listening()}`,
      ...list(env.VMESH_MCP_ALLOWED_HOSTS),
    ],
    allowedOrigins: () => [
      publicUrl.origin,
      `http://127.0.0.1:${listening()}`,
      `http://localhost:${listening()}`,
      ...list(env.VMESH_MCP_ALLOWED_ORIGINS),
    ],
  });

  if (env.SLACK_BOT_TOKEN && (env.SLACK_SIGNING_SECRET || env.SLACK_APP_TOKEN)) {
    const { registerSlack } = await import('./slack/register-slack.ts');
    const slack = await registerSlack(server, {
      conversation: deps.conversation,
      botToken: env.SLACK_BOT_TOKEN,
      signingSecret: env.SLACK_SIGNING_SECRET ?? '',
      appToken: env.SLACK_APP_TOKEN,
      slackApiUrl: env.SLACK_API_URL,
      triggers: deps.triggers,
      deliveries: deps.deliveries,
      publicUrl: deps.config.publicUrl,
    });
    notifiers.push((threadKey, replies) => slack.notify(threadKey, replies));
    enabled.push(env.SLACK_APP_TOKEN ? 'slack (socket mode)' : 'slack (http)');
  }
  if (env.DISCORD_APPLICATION_ID && env.DISCORD_PUBLIC_KEY) {
    const { registerDiscord } = await import('./discord/register-discord.ts');
    await registerDiscord(server, {
      conversation: deps.conversation,
      applicationId: env.DISCORD_APPLICATION_ID,
      publicKey: env.DISCORD_PUBLIC_KEY,
      apiUrl: env.DISCORD_API_URL,
      deliveries: deps.deliveries,
      publicUrl: deps.config.publicUrl,
    });
    enabled.push('discord (interactions)');
  }
  if (env.DISCORD_BOT_TOKEN) {
    const { startDiscordGateway } = await import('./discord/start-discord-gateway.ts');
    const gateway = await startDiscordGateway({
      conversation: deps.conversation,
      botToken: env.DISCORD_BOT_TOKEN,
      apiUrl: env.DISCORD_API_URL,
      publicUrl: deps.config.publicUrl,
    });
    server.addHook('onClose', () => gateway.stop());
    notifiers.push((threadKey, replies) => gateway.notify(threadKey, replies));
    enabled.push('discord (gateway)');
  }
  logger.info({ enabled }, 'front-ends ready');
  return {
    enabled,
    async notify(threadKey, replies) {
      for (const notifier of notifiers) if (await notifier(threadKey, replies)) return true;
      return false;
    },
  };
}
