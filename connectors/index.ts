import { discordConnector } from './discord/connector.ts';
import { emailConnector } from './email/connector.ts';
import { githubConnector } from './github/connector.ts';
import { httpConnector } from './http/connector.ts';
import { llmConnector } from './llm/connector.ts';
import { mcpConnector } from './mcp/connector.ts';
import { postgresConnector } from './postgres/connector.ts';
import type { ConnectorDefinition } from './sdk/index.ts';
import { slackConnector } from './slack/connector.ts';

export * from './credentials/index.ts';
export { discordConnector } from './discord/connector.ts';
export { emailConnector } from './email/connector.ts';
export { githubConnector } from './github/connector.ts';
export {
  type GithubTriggerEvent,
  parseGithubWebhook,
  signGithubPayload,
  verifyGithubSignature,
} from './github/webhook.ts';
export { httpConnector } from './http/connector.ts';
export { describeIssues, type InvokeActionArgs, invokeAction, toConnectorError } from './invoke.ts';
export { llmConnector } from './llm/connector.ts';
export { mcpConnector } from './mcp/connector.ts';
export { postgresConnector } from './postgres/connector.ts';
export * from './sdk/index.ts';
export { slackConnector } from './slack/connector.ts';
export { MessagePostedData, parseSlackMessageEvent } from './slack/triggers/message-posted.ts';

/** Every built-in connector. Each lives in its own folder and is added here. */
export const builtinConnectors: ConnectorDefinition[] = [
  httpConnector,
  slackConnector,
  discordConnector,
  githubConnector,
  emailConnector,
  postgresConnector,
  llmConnector,
  mcpConnector,
];
