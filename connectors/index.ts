import { discordConnector } from './discord/connector.ts';
import { githubConnector } from './github/connector.ts';
import { httpConnector } from './http/connector.ts';
import type { ConnectorDefinition } from './sdk/index.ts';
import { slackConnector } from './slack/connector.ts';

export * from './credentials/index.ts';
export { discordConnector } from './discord/connector.ts';
export { githubConnector } from './github/connector.ts';
export {
  type GithubTriggerEvent,
  parseGithubWebhook,
  signGithubPayload,
  verifyGithubSignature,
} from './github/webhook.ts';
export { httpConnector } from './http/connector.ts';
export { describeIssues, type InvokeActionArgs, invokeAction, toConnectorError } from './invoke.ts';
export * from './sdk/index.ts';
export { slackConnector } from './slack/connector.ts';
export { MessagePostedData, parseSlackMessageEvent } from './slack/triggers/message-posted.ts';

/** Every built-in connector. Each lives in its own folder and is added here. */
export const builtinConnectors: ConnectorDefinition[] = [
  httpConnector,
  slackConnector,
  discordConnector,
  githubConnector,
];
