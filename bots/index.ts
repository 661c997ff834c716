// The public surface of bots/: the front-ends as thin adapters over the conversation service.
// Slack and Discord (bolt, discord.js) are loaded by registerBots only when they are configured:
// import bots/slack/* or bots/discord/* directly to use them on their own.
export type { BotActor, ConversationPort } from './conversation-port.ts';
export type { DeliveryLedger } from './delivery-dedupe.ts';
export { createDeliveryLedger } from './delivery-ledger.ts';
export { createVmeshMcpServer } from './mcp/create-mcp-server.ts';
export { registerMcpHttp } from './mcp/register-mcp-http.ts';
export { type BotsDeps, registerBots } from './register-bots.ts';
export { createRuntimeTriggerPort } from './runtime-trigger-port.ts';
export { createRuntimeWorkflowPort } from './runtime-workflow-port.ts';
export type { SlackBot } from './slack/create-slack-bot.ts';
export type { TriggerEventPort } from './trigger-event-port.ts';
export { ensureWebBundle } from './web/build-web-bundle.ts';
export { type ApprovalLinkPort, registerApprovalLinks } from './web/register-approval-links.ts';
export { registerConsoleRoutes } from './web/register-console-routes.ts';
export { registerWebChat } from './web/register-web-chat.ts';
export type { WorkflowPort } from './workflow-port.ts';
