// The public surface of connectors/: other folders import only from here.

export { asanaConnector } from './asana/connector.ts';
export { builtinConnectors } from './builtin-connectors.ts';
export { compressionConnector } from './compression/connector.ts';
export * from './credentials/index.ts';
export { cryptoConnector } from './crypto/connector.ts';
export { discordConnector } from './discord/connector.ts';
export { emailConnector } from './email/connector.ts';
export { fileConnector } from './file/connector.ts';
export { githubConnector } from './github/connector.ts';
export {
  type GithubTriggerEvent,
  parseGithubWebhook,
  signGithubPayload,
  verifyGithubSignature,
} from './github/webhook.ts';
export { htmlConnector } from './html/connector.ts';
export { httpConnector } from './http/connector.ts';
export { describeIssues, type InvokeActionArgs, invokeAction, toConnectorError } from './invoke.ts';
export { jiraConnector } from './jira/connector.ts';
export { kbConnector } from './kb/connector.ts';
export { linearConnector } from './linear/connector.ts';
export { LlmCredential } from './llm/client.ts';
export { llmConnector } from './llm/connector.ts';
export * from './llm/providers/index.ts';
export { markdownConnector } from './markdown/connector.ts';
export { mcpConnector } from './mcp/connector.ts';
export {
  oauth2AppFor,
  oauth2ProvidersOf,
  oauthProviderTableMarkdown,
} from './oauth-providers.ts';
export * from './openapi/index.ts';
export { openWeatherMapConnector } from './openweathermap/connector.ts';
export { postgresConnector } from './postgres/connector.ts';
export { rssConnector } from './rss/connector.ts';
export * from './sdk/index.ts';
export { slackConnector } from './slack/connector.ts';
export { MessagePostedData, parseSlackMessageEvent } from './slack/triggers/message-posted.ts';
export { stateConnector } from './state/connector.ts';
export { telegramConnector } from './telegram/connector.ts';
export { parseTelegramUpdate } from './telegram/triggers/message.ts';
export { todoistConnector } from './todoist/connector.ts';
export { trelloConnector } from './trello/connector.ts';
export { xmlConnector } from './xml/connector.ts';
export { zendeskConnector } from './zendesk/connector.ts';
