import { asanaConnector } from './asana/connector.ts';
import { compressionConnector } from './compression/connector.ts';
import { cryptoConnector } from './crypto/connector.ts';
import { discordConnector } from './discord/connector.ts';
import { emailConnector } from './email/connector.ts';
import { fileConnector } from './file/connector.ts';
import { githubConnector } from './github/connector.ts';
import { htmlConnector } from './html/connector.ts';
import { httpConnector } from './http/connector.ts';
import { jiraConnector } from './jira/connector.ts';
import { kbConnector } from './kb/connector.ts';
import { linearConnector } from './linear/connector.ts';
import { llmConnector } from './llm/connector.ts';
import { markdownConnector } from './markdown/connector.ts';
import { mcpConnector } from './mcp/connector.ts';
import { openWeatherMapConnector } from './openweathermap/connector.ts';
import { postgresConnector } from './postgres/connector.ts';
import { rssConnector } from './rss/connector.ts';
import type { ConnectorDefinition } from './sdk/index.ts';
import { slackConnector } from './slack/connector.ts';
import { stateConnector } from './state/connector.ts';
import { telegramConnector } from './telegram/connector.ts';
import { todoistConnector } from './todoist/connector.ts';
import { trelloConnector } from './trello/connector.ts';
import { xmlConnector } from './xml/connector.ts';
import { zendeskConnector } from './zendesk/connector.ts';

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
  rssConnector,
  kbConnector,
  fileConnector,
  xmlConnector,
  htmlConnector,
  markdownConnector,
  cryptoConnector,
  compressionConnector,
  stateConnector,
  telegramConnector,
  todoistConnector,
  openWeatherMapConnector,
  jiraConnector,
  zendeskConnector,
  linearConnector,
  trelloConnector,
  asanaConnector,
];
