// The public surface of bots/: the front-ends as thin adapters over the conversation service.
export type { BotActor, BotEvent, BotReply, ConversationPort } from './conversation-port.ts';
export { registerDiscord } from './discord/register-discord.ts';
export { startDiscordGateway } from './discord/start-discord-gateway.ts';
export { createVmeshMcpServer, type McpAgentTool } from './mcp/create-mcp-server.ts';
export { registerMcpHttp } from './mcp/register-mcp-http.ts';
export { type BotsDeps, registerBots } from './register-bots.ts';
export { createRuntimeWorkflowPort } from './runtime-workflow-port.ts';
export { createSlackBot, type SlackBot } from './slack/create-slack-bot.ts';
export { registerSlack } from './slack/register-slack.ts';
export { ensureWebBundle } from './web/build-web-bundle.ts';
export { registerWebChat } from './web/register-web-chat.ts';
export type { WorkflowPort } from './workflow-port.ts';
